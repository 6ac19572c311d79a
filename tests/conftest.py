"""Shared test set-up: no network, quiet TensorFlow, and a small real dataset."""

import os

os.environ.setdefault("AECORE_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
