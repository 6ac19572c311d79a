"""A finished run's codes laid out for the Latent space page: fitted, stored as plain arrays, refused when stale or
damaged, computed by a child process that a queued run or a Stop ends at once, skipped for sweep runs."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from aecore.errors import AecoreError
from aecore.explore import layouts
from aecore.explore.layouts import Layout, fit_layout
from aecore.jobs.layout_process import LayoutProcess
from aecore.jobs.manager import JobManager
from aecore.runs.store import RunStore
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig


def clustered_codes(count: int = 300, width: int = 6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(3, width))
    return (centres[np.arange(count) % 3] + rng.normal(size=(count, width))).astype(np.float32)


def test_pca_places_a_new_code_exactly_and_tsne_on_its_nearest_code():
    codes = clustered_codes()
    pca = fit_layout(codes, "pca", 2)
    assert pca.points.shape == (300, 2) and np.array_equal(pca.index, np.arange(300))
    assert np.allclose(pca.place(codes, codes[7]), pca.points[7], atol=1e-4)
    assert np.allclose(np.cov(pca.points.T)[0, 1], 0.0, atol=1e-3), "principal components are uncorrelated"
    tsne = fit_layout(codes, "tsne", 2)
    assert tsne.components is None and np.array_equal(tsne.place(codes, codes[[4, 9]]), tsne.points[[4, 9]])
    flat = fit_layout(codes[:, :2], "umap", 3)  # as they are: no UMAP for codes that already fit
    assert np.allclose(flat.points, np.pad(codes[:, :2], ((0, 0), (0, 1))))
    assert np.allclose(flat.place(codes[:, :2], codes[3, :2]), flat.points[3])


def test_a_layout_over_its_point_limit_shows_a_seeded_subset_with_its_indices(monkeypatch):
    monkeypatch.setitem(layouts.MAX_POINTS, ("pca", 3), 100)
    codes = clustered_codes()
    subset = fit_layout(codes, "pca", 3, seed=1)
    assert subset.points.shape == (100, 3) and len(set(subset.index)) == 100
    assert np.all(np.diff(subset.index) > 0) and subset.index.max() < 300
    assert np.array_equal(fit_layout(codes, "pca", 3, seed=1).index, subset.index)
    chosen = subset.index[[5, 50]]
    assert np.array_equal(subset.points_of(chosen), subset.points[[5, 50]])


def test_layouts_are_refused_when_unknown_or_too_few():
    with pytest.raises(AecoreError, match="Unknown projection"):
        fit_layout(clustered_codes(), "isomap", 2)
    with pytest.raises(AecoreError, match="needs at least"):
        fit_layout(clustered_codes(3), "tsne", 2)
    assert layouts.parse_layouts("pca-2d, TSNE-2d") == (("pca", 2), ("tsne", 2))
    assert layouts.parse_layouts("none") == () == layouts.parse_layouts("")
    with pytest.raises(AecoreError, match="unknown layouts"):
        layouts.parse_layouts("pca-4d")


@pytest.fixture
def folder(tmp_path):
    store = RunStore(tmp_path / "runs")
    config = RunConfig(dataset="digits", model=ModelConfig(variant="undercomplete", hidden=(8,), latent_dim=4))
    folder, lock = store.create(config)
    lock.release()
    return folder


def test_stored_layouts_are_plain_arrays_and_go_stale_with_the_model(folder):
    codes = clustered_codes()
    layouts.write_codes(folder, codes)
    layouts.write_layout(folder, "pca", 2, fit_layout(codes, "pca", 2))
    stored = layouts.read_layout(folder, "pca", 2, 300)
    assert stored is not None and stored.components.shape == (6, 2)
    assert np.allclose(stored.place(codes, codes[0]), stored.points[0], atol=1e-4)
    with np.load(folder.file("projections/pca-2d.npz"), allow_pickle=False) as arrays:
        assert set(arrays.files) == {"points", "index", "mean", "components"}  # no pickled estimator
    assert layouts.read_layout(folder, "pca", 2, 200) is None, "made of another number of test images"
    assert layouts.stored_methods(folder, 2) == ["pca"] and layouts.stored_methods(folder, 3) == []
    assert np.array_equal(layouts.read_codes(folder, 300), codes) and layouts.read_codes(folder, 10) is None
    checkpoint = folder.file("checkpoint.npz")
    checkpoint.write_bytes(b"")
    later = time.time() + 5
    os.utime(checkpoint, (later, later))  # the run trained on after its codes were stored
    assert layouts.read_codes(folder) is None and layouts.read_layout(folder, "pca", 2, 300) is None
    assert layouts.stored_methods(folder, 2) == [], "a stale layout is not offered as kept"


def test_a_damaged_or_lying_layout_is_not_shown(folder):
    codes = clustered_codes()
    layouts.write_codes(folder, codes)
    folder.file("projections/tsne-2d.npz").write_bytes(b"not an npz")
    assert layouts.read_layout(folder, "tsne", 2, 300) is None
    outside = Layout(np.zeros((2, 2), np.float32), np.array([0, 300]))
    layouts.write_layout(folder, "umap", 2, outside)
    assert layouts.read_layout(folder, "umap", 2, 300) is None, "an index beyond the test images"
    nan = Layout(np.full((300, 2), np.nan, np.float32), np.arange(300))
    layouts.write_layout(folder, "umap", 2, nan)
    assert layouts.read_layout(folder, "umap", 2, 300) is None


def test_the_child_process_lays_out_what_is_missing_and_says_how_far_it_is(folder):
    codes = clustered_codes()
    layouts.write_codes(folder, codes)
    layouts.write_layout(folder, "pca", 2, fit_layout(codes, "pca", 2))
    before = folder.file("projections/pca-2d.npz").stat().st_mtime_ns
    process = LayoutProcess(folder, (("pca", 2), ("tsne", 2)))
    seen = []
    while process.running:
        progress = layouts.layout_progress(folder)
        if progress is not None:
            seen.append(progress)
        time.sleep(0.05)
    assert process.wait() == 0
    assert layouts.layout_progress(folder) is None, "nothing at work once it ended"
    assert seen and all(plan == (("pca", 2), ("tsne", 2)) for _, _, plan in seen)
    assert [fraction for fraction, _, _ in seen] == sorted(fraction for fraction, _, _ in seen)
    assert any("t-SNE 2-D of 300 codes" in what for _, what, _ in seen)
    assert folder.file("projections/pca-2d.npz").stat().st_mtime_ns == before, "what was stored is kept"
    assert layouts.read_layout(folder, "tsne", 2, 300).points.shape == (300, 2)


def digits_config(epochs: int = 1) -> RunConfig:
    return RunConfig(
        dataset="digits",
        model=ModelConfig(variant="undercomplete", hidden=(16,), latent_dim=4),
        training=TrainingConfig(epochs=epochs, batch_size=64),
    )


def wait_for(condition, timeout: float = 120.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)
    return value


@pytest.fixture
def manager(tmp_path):
    """One slot training in this process; a finished run lays out PCA, then UMAP (seconds: its import alone)."""
    manager = JobManager(max_concurrent=1, store=RunStore(tmp_path / "runs"), layouts=(("pca", 2), ("umap", 2)))
    yield manager
    manager.close()


def test_a_queued_run_ends_the_layouts_at_once_and_what_was_done_stays(manager):
    first = manager.submit(digits_config())
    folder = manager.store.folder(first.run_id)
    finished = wait_for(lambda: (snapshot := manager.snapshot(first.job_id)).ended and snapshot, interval=0.001)
    assert finished.laying_out is not None, "a page that sees it finish knows its codes are being laid out"
    progress = wait_for(lambda: "of 2)" in (manager.snapshot(first.job_id).laying_out or (0, ""))[1])
    assert progress and manager.snapshot(first.job_id).status == "finished"
    wait_for(lambda: layouts.read_layout(folder, "pca", 2, 359))
    second = manager.submit(digits_config(epochs=2))
    wait_for(lambda: manager.snapshot(first.job_id).laying_out is None, timeout=10)
    running = manager.snapshot(second.job_id)
    assert running.status in ("running", "finished") and layouts.layout_progress(folder) is None
    assert layouts.read_layout(folder, "umap", 2, 359) is None, "UMAP was cut short"
    assert layouts.read_layout(folder, "pca", 2, 359) is not None
    codes = layouts.read_codes(folder)
    assert codes.shape == (359, 4)


def test_stop_ends_a_finished_runs_layouts_and_sweep_runs_have_none(manager):
    job = manager.submit(digits_config())
    wait_for(lambda: manager.snapshot(job.job_id).laying_out)
    manager.stop(job.job_id)
    wait_for(lambda: manager.snapshot(job.job_id).laying_out is None, timeout=10)
    assert layouts.layout_progress(manager.store.folder(job.run_id)) is None
    assert manager.snapshot(job.job_id).status == "finished"
    swept = manager.submit(digits_config(), sweep="a-sweep")
    wait_for(lambda: manager.snapshot(swept.job_id).ended)
    time.sleep(0.5)
    assert manager.snapshot(swept.job_id).laying_out is None
    assert layouts.read_codes(manager.store.folder(swept.run_id)) is None, "a sweep's runs are laid out on demand"
