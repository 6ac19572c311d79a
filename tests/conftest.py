"""Shared test set-up: no network, quiet TensorFlow, a small real dataset, and a run store of the tests' own."""

import os
import tempfile

os.environ.setdefault("AECORE_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# every run a test trains lands in the store: never in the checkout's ./runs
os.environ["AECORE_RUNS_DIR"] = tempfile.mkdtemp(prefix="aecore-test-runs-")
