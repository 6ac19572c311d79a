"""Tests of aecore.explore.applications and aecore.figures.applications: class subsets, anomaly thresholds, clustering
against pixel baselines, retrieval; hand-made numbers wherever the answer can be worked out by hand."""

import numpy as np
import pytest

from aecore.analysis.anomaly import anomaly_auc
from aecore.analysis.clustering import clustering_accuracy
from aecore.data import registry, subsets
from aecore.data.dataset import Dataset
from aecore.errors import AecoreError
from aecore.explore import applications
from aecore.figures import applications as application_figures
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate


def tiny_dataset(labels_train, labels_val, labels_test, name="tiny") -> Dataset:
    """A labelled dataset of 2×2 images whose first pixel holds the image's class, so filtering can be read back."""

    def images(labels):
        stack = np.zeros((len(labels), 2, 2, 1), dtype=np.float32)
        stack[:, 0, 0, 0] = np.asarray(labels) / 10
        return stack

    train, val, test = (np.asarray(labels, dtype=np.int64) for labels in (labels_train, labels_val, labels_test))
    return Dataset(
        name, images(train), train, images(val), val, images(test), test, images(test[:2]), test[:2], ("a", "b", "c")
    )


# --- class subsets ------------------------------------------------------------------------------


def test_subset_name_is_sorted_without_repeats_and_parses_back():
    name = subsets.subset_name("mnist-5k", [2, 0, 2])
    assert name == "mnist-5k:classes=0,2"
    assert subsets.parse_subset_name(name) == ("mnist-5k", (0, 2))
    assert subsets.parse_subset_name("upload:my data:classes=1") == ("upload:my data", (1,))
    assert subsets.parse_subset_name("mnist-5k") is None


@pytest.mark.parametrize("name", ["mnist-5k:classes=", "mnist-5k:classes=a,b", ":classes=1", "mnist-5k:classes=1,,2"])
def test_a_badly_written_subset_name_says_how_to_write_it(name):
    with pytest.raises(AecoreError, match="whole numbers separated by commas"):
        subsets.parse_subset_name(name)


def test_class_subset_keeps_only_the_chosen_classes_for_training_and_the_whole_test_set():
    dataset = tiny_dataset([0, 1, 2, 0, 1, 2, 1], [0, 1, 2], [2, 1, 0, 0])
    subset = subsets.class_subset(dataset, [1, 0])
    assert subset.name == "tiny:classes=0,1"
    np.testing.assert_array_equal(subset.y_train, [0, 1, 0, 1, 1])
    np.testing.assert_array_equal(subset.x_train[:, 0, 0, 0] * 10, subset.y_train)  # images moved with labels
    np.testing.assert_array_equal(subset.y_val, [0, 1])
    assert subset.x_test is dataset.x_test and subset.y_test is dataset.y_test
    assert subset.class_names == dataset.class_names and not subset.x_train.flags.writeable


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([], "at least one normal class"),
        ([0, 7], "no class 7; choose among its classes: 0, 1, 2"),
        ([0, 1, 2], "Leave at least one class out"),
    ],
)
def test_class_subset_refuses_what_leaves_nothing_to_learn_or_detect(classes, message):
    with pytest.raises(AecoreError, match=message):
        subsets.class_subset(tiny_dataset([0, 1, 2], [0, 1, 2], [0, 1, 2]), classes)


def test_class_subset_refuses_unlabelled_data_and_classes_with_no_training_images():
    with pytest.raises(AecoreError, match="has no labels"):
        subsets.class_subset(tiny_dataset([-1, -1], [-1], [-1, -1]), [0])
    with pytest.raises(AecoreError, match="too few training images"):
        subsets.class_subset(tiny_dataset([0, 0], [0], [0, 1]), [1])


def test_load_dataset_gives_the_class_subset_of_the_embedded_digits_once_per_process():
    subset = registry.load_dataset("mnist-5k:classes=0,1")
    base = registry.load_dataset("mnist-5k")
    assert set(np.unique(subset.y_train)) == {0, 1} and set(np.unique(subset.y_val)) == {0, 1}
    assert subset.n_train == int(np.isin(base.y_train, [0, 1]).sum())
    assert subset.x_test is base.x_test and set(np.unique(subset.y_test)) == set(range(10))
    assert registry.load_dataset("mnist-5k:classes=0,1") is subset, "loaded once, so training reuses its tensors"
    assert all(":classes=" not in info.name for info in registry.list_datasets()), "the Train page must not list them"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("mnist-5k:classes=10", "no class 10"),
        ("mnist-5k:classes=0,1,2,3,4,5,6,7,8,9", "Leave at least one class out"),
        ("mnist-5k:classes=x", "whole numbers"),
        ("cifar:classes=1", "Unknown dataset 'cifar'"),
    ],
)
def test_load_dataset_refuses_a_bad_class_subset_with_what_to_change(name, message):
    with pytest.raises(AecoreError, match=message):
        registry.load_dataset(name)


def test_a_config_on_a_class_subset_validates():
    assert validate(RunConfig(dataset="mnist-5k:classes=3")).dataset == "mnist-5k:classes=3"


# --- anomaly detection --------------------------------------------------------------------------


def test_held_out_marks_every_class_that_is_not_normal():
    np.testing.assert_array_equal(applications.held_out([0, 1, 2, 1, 3], [1, 3]), [True, False, True, False, False])


def test_threshold_result_counts_by_hand():
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    is_anomaly = np.array([False, False, True, False, True, True])
    result = applications.threshold_result(scores, is_anomaly, 0.35)  # flags 0.4, 0.5, 0.6
    assert (result.true_positives, result.false_positives, result.false_negatives, result.true_negatives) == (
        2,
        1,
        1,
        2,
    )
    assert result.precision == pytest.approx(2 / 3)
    assert result.recall == pytest.approx(2 / 3)
    assert result.false_positive_rate == pytest.approx(1 / 3)
    nothing = applications.threshold_result(scores, is_anomaly, 1.0)
    assert nothing.precision == 1.0 and nothing.recall == 0.0 and nothing.false_positive_rate == 0.0


def test_roc_points_run_from_nothing_to_everything_flagged_and_their_area_is_the_auc():
    rng = np.random.default_rng(0)
    is_anomaly = np.repeat([False, True], 200)
    scores = rng.normal(size=400) + 1.5 * is_anomaly
    fpr, tpr, thresholds = applications.roc_points(scores, is_anomaly)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(anomaly_auc(scores, is_anomaly))
    for index in (5, 40, 100):  # each point is what its threshold gives
        result = applications.threshold_result(scores, is_anomaly, thresholds[index])
        assert (result.false_positive_rate, result.recall) == pytest.approx((fpr[index], tpr[index]))


def test_default_threshold_lets_five_percent_of_normal_images_raise_an_alarm():
    normal = np.arange(100, dtype=float)
    scores = np.concatenate([normal, [500.0, 600.0]])
    is_anomaly = np.concatenate([np.zeros(100, bool), [True, True]])
    threshold = applications.default_threshold(scores, is_anomaly)
    assert threshold == pytest.approx(np.quantile(normal, 0.95))
    assert applications.threshold_result(scores, is_anomaly, threshold).false_positive_rate == pytest.approx(0.05)


def test_anomaly_functions_need_both_groups():
    with pytest.raises(AecoreError, match="both normal and held-out"):
        applications.roc_points(np.ones(3), np.zeros(3, bool))
    with pytest.raises(AecoreError, match="one score per image"):
        applications.threshold_result(np.ones(3), np.array([True, False]), 0.5)


# --- clustering ---------------------------------------------------------------------------------


def test_matched_confusion_puts_each_cluster_under_its_class_on_a_hand_made_labelling():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    assignments = np.array([5, 5, 3, 3, 3, 9, 9, 5])
    # class × cluster counts with clusters (3, 5, 9): class 0: (1, 2, 0); class 1: (2, 0, 0); class 2: (0, 1, 2).
    # The best one-to-one matching: 5 -> 0, 3 -> 1, 9 -> 2, so 6 of 8 images are clustered right.
    counts, classes, clusters = applications.matched_confusion(labels, assignments)
    np.testing.assert_array_equal(classes, [0, 1, 2])
    np.testing.assert_array_equal(clusters, [5, 3, 9])
    np.testing.assert_array_equal(counts, [[2, 1, 0], [0, 2, 0], [1, 0, 2]])
    assert np.trace(counts) / labels.size == clustering_accuracy(labels, assignments) == 0.75


def test_matched_confusion_puts_extra_clusters_last():
    counts, classes, clusters = applications.matched_confusion(np.array([0, 0, 1, 1]), np.array([4, 1, 2, 2]))
    assert counts.shape == (2, 3) and clusters[1] == 2 and clusters[2] in (1, 4)
    assert counts.sum() == 4 and np.trace(counts[:, :2]) == 3


def test_cluster_ownership_names_the_class_given_two_clusters_and_the_class_given_none():
    # clusters 7 and 8 both hold mostly class 0; cluster 9 mostly class 1; class 2 is the majority nowhere
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    assignments = np.array([7, 7, 7, 8, 8, 9, 9, 9, 8, 9, 7])
    owned = applications.cluster_ownership(labels, assignments)
    np.testing.assert_array_equal(owned.majorities, [0, 0, 1])
    assert owned.split == (0,) and owned.unclaimed == (2,)
    # class 2 is matched to the leftover cluster 8, where one of its three images fell
    assert clustering_accuracy(labels, assignments) == pytest.approx((3 + 3 + 1) / 11)

    one_each = applications.cluster_ownership(np.array([0, 0, 1, 1, 2]), np.array([5, 5, 6, 5, 4]))
    assert one_each.split == () and one_each.unclaimed == ()


def test_codes_that_separate_the_classes_beat_pixels_where_the_classes_overlap():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(3), 60)
    # pixels: noise with a faint class signal; codes: three tight, far-apart blobs
    images = rng.normal(size=(180, 6, 6)) + 0.05 * labels[:, None, None]
    codes = np.eye(3)[labels] * 10 + rng.normal(scale=0.3, size=(180, 3))
    ours = applications.cluster(codes, labels, "codes")
    pixels, pca = applications.pixel_baselines(images, labels, code_dims=codes.shape[1])
    assert (ours.name, pixels.name, pca.name) == ("codes", "raw pixels", "PCA of the pixels")
    assert (ours.dims, pixels.dims, pca.dims) == (3, 36, 3)
    assert ours.accuracy == 1.0 and ours.nmi == pytest.approx(1.0) and ours.ari == pytest.approx(1.0)
    assert pixels.accuracy < 0.7 and pca.accuracy < 0.7 and pixels.ari < 0.2
    assert ours.assignments.shape == (180,)


def test_pca_pixels_keeps_the_largest_variance_directions():
    rng = np.random.default_rng(2)
    images = rng.normal(size=(50, 4, 4)) * np.linspace(0.01, 5, 16).reshape(4, 4)
    projected = applications.pca_pixels(images, 2)
    assert projected.shape == (50, 2)
    eigenvalues = np.linalg.eigvalsh(np.cov(images.reshape(50, -1).T, bias=True))  # ascending
    assert np.var(projected, axis=0) == pytest.approx(eigenvalues[::-1][:2], rel=1e-4)
    assert applications.pca_pixels(images, 99).shape == (50, 16), "no more components than pixels"


def test_clustering_needs_labels():
    with pytest.raises(AecoreError, match="use a dataset with labels"):
        applications.cluster(np.ones((4, 2)), np.array([0, 1, -1, 0]), "codes")
    with pytest.raises(AecoreError, match="at least two classes"):
        applications.cluster(np.ones((4, 2)), np.zeros(4, int), "codes")


# --- retrieval ----------------------------------------------------------------------------------


def test_nearest_neighbours_are_sorted_and_leave_the_query_out():
    points = np.array([[0.0], [10.0], [1.0], [3.0], [-2.5]])
    np.testing.assert_array_equal(applications.nearest_neighbours(points, 0, 3), [2, 4, 3])
    np.testing.assert_array_equal(applications.nearest_neighbours(points, 1, 1), [3])
    with pytest.raises(AecoreError, match="between 1 and 4"):
        applications.nearest_neighbours(points, 0, 5)
    with pytest.raises(AecoreError, match="between 0 and 4"):
        applications.nearest_neighbours(points, 5, 1)


def test_same_class_fraction_counts_the_neighbours_of_the_query_class():
    labels = np.array([1, 1, 0, 1, 2])
    assert applications.same_class_fraction(labels, 0, np.array([1, 2, 3, 4])) == 0.5


def test_mean_same_class_fraction_matches_a_brute_force_count(monkeypatch):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 70)
    features = rng.normal(size=(70, 4)) + labels[:, None]
    monkeypatch.setattr(applications, "NEIGHBOUR_BLOCK", 16)  # several blocks, the last one short
    expected = np.mean(
        [
            applications.same_class_fraction(labels, q, applications.nearest_neighbours(features, q, 5))
            for q in range(70)
        ]
    )
    assert applications.mean_same_class_fraction(features, labels, 5) == pytest.approx(expected)


# --- figures ------------------------------------------------------------------------------------


def test_score_histograms_share_their_bins_and_mark_the_threshold():
    figure = application_figures.score_histograms(np.array([0.1, 0.2, 0.2]), np.array([0.5, 0.9]), threshold=0.4)
    normal, held = figure.data
    assert normal.name == "normal (3)" and held.name == "held-out (2)"
    assert normal.xbins == held.xbins and normal.histnorm == "percent"
    assert [shape.x0 for shape in figure.layout.shapes] == [0.4]


def test_roc_figure_shows_the_curve_the_diagonal_and_the_operating_point():
    figure = application_figures.roc_figure(np.array([0, 0.5, 1]), np.array([0, 0.9, 1]), 0.7, point=(0.5, 0.9))
    names = [trace.name for trace in figure.data]
    assert names == ["guessing (AUC 0.5)", "reconstruction error (AUC 0.700)", "the threshold"]
    assert (figure.data[2].x[0], figure.data[2].y[0]) == (0.5, 0.9)


def test_confusion_heatmap_checks_its_names():
    figure = application_figures.confusion_heatmap(np.array([[2, 1], [0, 3]]), ["0", "1"], ["→ 0", "→ 1"])
    assert figure.data[0].z.tolist() == [[2, 1], [0, 3]]
    with pytest.raises(ValueError, match="names"):
        application_figures.confusion_heatmap(np.zeros((2, 2)), ["0"], ["→ 0", "→ 1"])


def test_neighbour_rows_tag_each_image_with_its_class_in_green_or_red():
    rows = {"code": np.zeros((3, 5, 5)), "pixels": np.ones((3, 5, 5))}
    labels = {"code": ["1", "1", "7"], "pixels": ["4", "1", "1"]}
    same = {"code": np.array([True, True, False]), "pixels": np.array([False, True, True])}
    figure = application_figures.neighbour_rows(rows, labels, same)
    tags = [(note.text, note.bgcolor) for note in figure.layout.annotations]
    green, red = application_figures.SAME_CLASS_COLOUR, application_figures.OTHER_CLASS_COLOUR
    assert tags == [("1", green), ("1", green), ("7", red), ("4", red), ("1", green), ("1", green)]
