"""Shared test set-up: no network, quiet TensorFlow, a small real dataset, and a run store of the tests' own."""

import os
import tempfile

os.environ.setdefault("AECORE_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# a finished run's layouts (t-SNE, UMAP: a minute of CPU) only where a test asks for them (tests/unit/test_layouts.py)
os.environ.setdefault("AECORE_LAYOUTS", "none")
# every run a test trains lands in the store: never in the checkout's ./runs
os.environ["AECORE_RUNS_DIR"] = tempfile.mkdtemp(prefix="aecore-test-runs-")


import pytest  # noqa: E402  (after the environment above, which must be set before anything imports aecore)

#: the test modules that start a local Ray (in the test or in a CLI it runs): never two at once on one machine
RAY_MODULES = {"test_backends", "test_browser_backends", "test_cli"}


def pytest_collection_modifyitems(items):
    """pytest-xdist (``-n 2 --dist loadgroup`` in pyproject) hands out whole groups: each module runs on one
    worker, so its module-scoped server and browser start once, and the modules that start a Ray share one."""
    for item in items:
        module = item.module.__name__.rpartition(".")[2]
        item.add_marker(pytest.mark.xdist_group("ray" if module in RAY_MODULES else module))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright, one per test module (skipped where Playwright is not installed)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from browser_support import CHROMIUM, CHROMIUM_ARGS

    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_store(tmp_path, monkeypatch):
    """The pages' run store, empty for this test (the process-wide cached store is made again from the env)."""
    from pages import _ui as ui

    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path / "runs"))
    ui.run_store.clear()
    yield ui.run_store()
    ui.run_store.clear()


@pytest.fixture(scope="session")
def explore_store(tmp_path_factory):
    """A store with one short finished run of each of ``sparse``, ``vae`` and ``conv_denoising`` on the embedded
    MNIST digits, for the explore pages; returns ``(root, {variant: run_id})``."""
    from aecore.jobs.run_jobs import new_job
    from aecore.runs.store import RunStore
    from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig

    root = tmp_path_factory.mktemp("explore") / "runs"
    store = RunStore(root)
    runs = {}
    for variant in ("sparse", "vae", "conv_denoising"):
        config = RunConfig(dataset="mnist-5k", model=ModelConfig(variant=variant), training=TrainingConfig(epochs=1))
        job = new_job(config, store, name=f"{variant} for exploring")
        job.run()
        assert job.snapshot().status == "finished", job.snapshot().message
        runs[variant] = job.run_id
    return root, runs


@pytest.fixture
def explore_pages(explore_store, monkeypatch):
    """The pages' run store pointed at ``explore_store`` for one test; returns ``{variant: run_id}``."""
    from pages import _ui as ui

    root, runs = explore_store
    monkeypatch.setenv("AECORE_RUNS_DIR", str(root))
    ui.run_store.clear()
    yield runs
    ui.run_store.clear()
