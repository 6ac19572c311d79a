"""AppTest tests of the Applications page: no run yet; finished sparse, VAE and conv runs (anomaly AUC, the
clustering table beside raw pixels and PCA, retrieval); and a short run on chosen classes through the job system;
the progress bar of the clustering."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from page_support import texts
from streamlit.testing.v1 import AppTest
from test_latent_pages import assert_rises_to_one, recorded_progress

from aecore.explore import applications
from pages._ui.explore import PICKED_KEY

PAGE = Path(__file__).resolve().parents[2] / "pages" / "applications.py"


def page(run_id: str | None = None, tab: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=180)
    if run_id is not None:
        at.session_state[PICKED_KEY] = run_id
    if tab is not None:
        at.session_state["applications_tab"] = tab
    at.run()
    assert_fine(at)
    return at


def assert_fine(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [error.value for error in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(item.value for item in at.metric if item.label == label)


def test_with_no_run_the_page_says_so_with_a_way_to_train(page_store) -> None:
    at = page()
    assert "train one first" in texts(at.info)
    assert any(button.label == "Go to Train" for button in at.button)
    assert not at.tabs


@pytest.mark.parametrize("variant", ["sparse", "vae", "conv_denoising"])
def test_each_view_reports_its_measures_for_a_finished_run(explore_pages, variant) -> None:
    at = page(explore_pages[variant])
    assert [tab.label for tab in at.tabs] == ["Anomaly detection", "Clustering", "Retrieval"]
    # anomaly detection: before any run on the normal classes, the picked run scores the images as a baseline
    assert "as a baseline" in texts(at.info)
    auc = float(metric(at, "ROC AUC"))
    assert 0.0 <= auc <= 1.0
    for label in ("Precision", "Recall", "False alarms"):
        assert 0.0 <= float(metric(at, label)) <= 1.0
    assert any("AUC" in latex.value for latex in at.latex) and any("precision" in latex.value for latex in at.latex)
    assert len(at.get("plotly_chart")) == 2, "the histograms and the ROC curve"

    at = page(explore_pages[variant], "Clustering")
    table = at.dataframe[0].value
    assert list(table["representation"]) == ["autoencoder codes", "raw pixels", "PCA of the pixels"]
    assert table["dimensions"][1] == 784 and table["dimensions"][2] == table["dimensions"][0]
    assert table[["accuracy", "NMI", "ARI"]].notna().all().all() and table["accuracy"].between(0.1, 1).all()
    assert "points" in texts(at.caption), "the gain over the baselines is stated as a number"
    captions = texts(at.caption)
    assert "exactly one cluster" in captions or (
        "more than one cluster" in captions and "the majority of none" in captions
    ), "the confusion matrix says which classes took two clusters and which took none"
    assert any(r"\mathrm{ACC}" in latex.value for latex in at.latex)
    assert "Anomaly" not in texts(at.markdown), "only the open tab runs"

    at = page(explore_pages[variant], "Retrieval")
    same = [item for item in at.metric if item.label.startswith("Same class")]
    assert [item.label for item in same] == ["Same class, code space", "Same class, pixel space"]
    assert all(item.value.endswith("%") for item in same)
    assert all("over all test images" in item.proto.delta for item in same)


def test_threshold_slider_trades_recall_for_precision(explore_pages) -> None:
    at = page(explore_pages["sparse"])
    before = float(metric(at, "Recall"))
    slider = next(slider for slider in at.slider if slider.label.startswith("Threshold"))
    slider.set_value(slider.max).run()
    assert_fine(at)
    assert float(metric(at, "Recall")) < before
    assert float(metric(at, "False alarms")) == 0.0


def test_retrieval_of_another_image_changes_its_neighbours(explore_pages) -> None:
    at = page(explore_pages["vae"], "Retrieval")
    at.number_input(key="retrieval_index").set_value(17).run()
    assert_fine(at)
    assert at.image[0].proto.imgs[0].caption.startswith("query: ")
    at.slider(key="retrieval_k").set_value(5).run()
    assert_fine(at)
    assert "The 5 nearest test images" in texts(at.markdown)


def test_training_on_the_normal_classes_shows_its_curve_then_scores_with_it(explore_store, tmp_path, monkeypatch):
    from aecore.data.registry import load_dataset
    from pages import _ui as ui

    root, runs = explore_store
    copy = tmp_path / "runs"
    shutil.copytree(root, copy)  # this test adds a run: the shared store stays as the other tests expect
    monkeypatch.setenv("AECORE_RUNS_DIR", str(copy))
    ui.run_store.clear()
    ui.job_manager.clear()  # a manager saving into this store
    try:
        at = page(runs["sparse"])
        at.multiselect(key="anomaly_normal_mnist-5k").set_value([0, 1])
        at.number_input(key="anomaly_epochs").set_value(1)
        at.button(key="anomaly_train").click().run()
        assert_fine(at)
        deadline = time.monotonic() + 150
        while "Training on the normal classes" in texts(at.markdown) and time.monotonic() < deadline:
            assert any(button.label == "Stop" for button in at.button)
            time.sleep(1.0)
            at.run()
            assert_fine(at)
        shown = texts(at.markdown)
        assert "trained on 0, 1 only" in shown, shown
        record = next(record for record in ui.run_store().list() if record.dataset == "mnist-5k:classes=0,1")
        assert record.status == "finished" and record.variant == "sparse"
        assert set(load_dataset(record.dataset).y_train.tolist()) == {0, 1}
        auc = next(item for item in at.metric if item.label == "ROC AUC")
        assert 0.0 <= float(auc.value) <= 1.0 and "vs all classes" in auc.proto.delta
        assert "as a baseline" not in texts(at.info)
    finally:
        ui.job_manager.clear()
        ui.run_store.clear()


def test_choosing_every_class_as_normal_leaves_nothing_to_train_on(explore_pages) -> None:
    at = page(explore_pages["sparse"])
    at.multiselect(key="anomaly_normal_mnist-5k").set_value(list(range(10))).run()
    assert_fine(at)
    assert at.button(key="anomaly_train").disabled
    assert "leaving at least one class out" in texts(at.info)


def test_the_pixel_baselines_report_each_k_means_up_to_done() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 20)
    images = (rng.random((40, 8, 8)) + labels[:, None, None]).astype(np.float32)
    reports = []
    applications.pixel_baselines(images, labels, 3, progress=lambda fraction, what: reports.append((fraction, what)))
    assert_rises_to_one(reports)
    assert "raw pixels" in reports[0][1] and "PCA of the pixels to 3 dimensions" in reports[1][1]


def test_the_clustering_shows_one_progress_bar_over_codes_pixels_and_pca_the_first_time_only(
    explore_pages, monkeypatch
) -> None:
    drawn = recorded_progress(monkeypatch)
    at = page(explore_pages["vae"], "Clustering")
    assert list(at.dataframe[0].value["representation"]) == ["autoencoder codes", "raw pixels", "PCA of the pixels"]
    assert_rises_to_one(drawn)
    shown = [text for _, text in drawn]
    assert shown[0].startswith("k-means on the codes of 1,000 test images, then on their pixels"), shown
    assert any("raw pixels" in text for text in shown) and any("PCA of the pixels to 2" in text for text in shown)
    assert not at.get("progress"), "the bar is removed once the clustering is done"
    drawn.clear()
    at.segmented_control(key="clustering_confusion_of").set_value("raw pixels").run()
    assert_fine(at)
    assert drawn == [], "kept clusterings draw no bar at a rerun"


def test_the_clustering_tab_clusters_by_the_method_picked(explore_pages) -> None:
    at = page(explore_pages["sparse"], "Clustering")
    assert "k-means with 10 clusters on 1,000 test images" in texts(at.markdown)
    at.segmented_control(key="clustering_method").set_value("gmm").run()
    assert not at.exception, at.exception
    assert "Gaussian mixture with 10 clusters on 1,000 test images" in texts(at.markdown)
    table = at.dataframe[0].value
    assert table["accuracy"].between(0.1, 1).all() and list(table["dimensions"])[1] == 784
    assert any(toggle.label == "The clusters on a 2-D UMAP of the codes" for toggle in at.toggle)
