"""The Applications page's computations, cached once per run and checkpoint, and its anomaly detection panel
(choose the normal classes, train on them alone with a live curve, score every test image).

The maths is in ``aecore.explore.applications``; this module only caches it, lays it out and starts the short run.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aecore.analysis import anomaly
from aecore.data import subsets
from aecore.data.registry import load_dataset
from aecore.errors import AecoreError
from aecore.explore import applications
from aecore.figures import applications as application_figures
from aecore.runs.snapshots import ACTIVE
from pages import _ui as ui
from pages._ui.explore import model_stamp, progress_bar, result_slot, trained_run
from pages._ui.live_panels import loss_panel

if TYPE_CHECKING:
    from aecore.explore.stored_model import TrainedRun
    from aecore.runs.index import RunRecord

#: the anomaly runs this tab started, by (class subset, variant), so a page switch finds them again
ANOMALY_RUNS_KEY = "applications_anomaly_runs"
#: a short run by default: a few epochs on a few classes already separate them from the rest
DEFAULT_ANOMALY_EPOCHS = 3
MAX_ANOMALY_EPOCHS = 50

SCORE_FORMULA = r"s(x) = \frac{1}{P}\sum_{p=1}^{P} \big(x_p - \hat x_p\big)^2"
PRECISION_RECALL_FORMULA = (
    r"\text{precision} = \frac{TP}{TP + FP}, \qquad \text{recall} = \frac{TP}{TP + FN}, "
    r"\qquad \text{false alarms} = \frac{FP}{FP + TN}"
)
AUC_FORMULA = (
    r"\mathrm{AUC} = \int_0^1 \mathrm{TPR}\; d\,\mathrm{FPR} = "
    r"P\big(s(x_{\text{held-out}}) > s(x_{\text{normal}})\big)"
)


def class_name(names: list[str], label: int) -> str:
    return names[label] if 0 <= label < len(names) else str(label)


# ---------------------------------------------------------------------------------------------
# Computations, once per run and checkpoint (or per dataset for what does not depend on a model)


@st.cache_data(show_spinner=False, max_entries=32)
def reconstruction_scores(run_id: str, stamp: float) -> np.ndarray:
    """Every test image's reconstruction error under the run's model: its anomaly score."""
    trained = trained_run(run_id, stamp)
    return anomaly.reconstruction_errors(trained.test_images, trained.reconstruct(trained.test_images))


def clusterings(trained: TrainedRun, stamp: float, method: str = "kmeans") -> list[applications.Clustering]:
    """``method`` (k-means, a Gaussian mixture, or UMAP then a mixture) on the codes, on the raw pixels and on PCA of
    the pixels, computed the first time under one progress bar. The codes' result is kept per run, checkpoint and
    method, the pixels' per dataset, code size and method (the same for every run of them)."""
    from aecore.analysis.clustering import METHODS

    codes, labels = trained.test_codes, trained.test_labels
    codes_kept = result_slot("code clustering", (trained.record.id, stamp, method))
    pixels_kept = result_slot("pixel clusterings", (trained.config.dataset, len(codes), codes.shape[1], method))
    if not (codes_kept and pixels_kept):
        name = METHODS[method]
        steps = f"{name} on the codes of {len(codes):,} test images, then on their pixels, then on PCA of the pixels…"
        with progress_bar(steps) as report:
            if not codes_kept:
                codes_kept.append(applications.cluster(codes, labels, "autoencoder codes", method=method))
            if not pixels_kept:
                pixels_kept.append(
                    applications.pixel_baselines(
                        trained.test_images,
                        labels,
                        codes.shape[1],
                        progress=lambda fraction, text: report((1 + 2 * fraction) / 3, text),
                        method=method,
                    )
                )
    return [codes_kept[0], *pixels_kept[0]]


@st.cache_data(show_spinner=False, max_entries=32)
def code_retrieval_precision(run_id: str, stamp: float, k: int) -> float:
    trained = trained_run(run_id, stamp)
    return applications.mean_same_class_fraction(trained.test_codes, trained.test_labels, k)


@st.cache_data(show_spinner=False, max_entries=32)
def pixel_retrieval_precision(dataset: str, count: int, k: int, _images: np.ndarray, _labels: np.ndarray) -> float:
    return applications.mean_same_class_fraction(_images.reshape(len(_images), -1), _labels, k)


# ---------------------------------------------------------------------------------------------
# Anomaly detection


def _detector_record(trained: TrainedRun, subset: str, entry: ui.RunEntry | None) -> RunRecord | None:
    """The run that scores the images: this tab's run on these classes once it has ended with an epoch done, else
    the picked run if it was trained on exactly these classes, else the newest such run of its variant in the store."""
    store = ui.run_store()
    if entry is not None and store.has(entry.token):
        record = store.record(entry.token)
        if record.epochs_done >= 1 and record.status not in ACTIVE:
            return record
    if trained.config.dataset == subset:
        return trained.record
    for record in store.list(dataset=subset, variant=trained.config.model.variant):
        if record.epochs_done >= 1 and record.status not in ACTIVE:
            return record
    return None


def _start_anomaly_run(trained: TrainedRun, subset: str, epochs: int) -> ui.RunEntry:
    """Submit the picked run's settings with the dataset replaced by the normal classes (raises ``AecoreError``)."""
    current = ui.current_run()
    if ui.is_busy(ui.run_snapshot(current), current):
        raise AecoreError("This tab already trains a run: wait for it to end or stop it on the Train page.")
    load_dataset(subset)  # a bad class choice fails here, with its message, not later in the job
    config = dataclasses.replace(
        trained.config, dataset=subset, training=dataclasses.replace(trained.config.training, epochs=epochs)
    )
    return ui.start_run(config)


def _live_training(entry: ui.RunEntry) -> None:
    """The short run's progress and loss curve, polled every second; one full rerun when it ends shows scores."""

    @st.fragment(run_every=ui.POLL_SECONDS)
    def view() -> None:
        snapshot = ui.run_snapshot(entry)
        if snapshot is None:
            st.info("The run on the normal classes is no longer on the server.", icon=":material/info:")
            return
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"**Training on the normal classes** · {ui.status_text(snapshot)} · {ui.progress_text(snapshot)}")
        left.progress(snapshot.progress)
        if right.button("Stop", icon=":material/stop:", key="anomaly_stop", disabled=not entry.owned):
            ui.job_manager().stop(entry.job_id)
        if snapshot.batch_steps.size:
            loss_panel(snapshot)
        if not ui.is_live(snapshot, entry):
            st.rerun()

    view()


def anomaly_section(trained: TrainedRun) -> None:
    labels = trained.test_labels
    classes = [int(label) for label in np.unique(labels[labels >= 0])]
    if len(classes) < 2:
        st.info("Anomaly detection needs a dataset with labels of at least two classes.", icon=":material/info:")
        return
    names = trained.class_names
    parsed = subsets.parse_subset_name(trained.config.dataset)
    base, own_classes = parsed if parsed is not None else (trained.config.dataset, None)
    st.markdown(
        "Train the picked run's model on the **normal** classes alone; an image of a class it never saw is "
        "rebuilt badly, so its reconstruction error flags it."
    )
    left, middle, right = st.columns([4, 1, 2], vertical_alignment="bottom")
    normal = left.multiselect(
        "Normal classes",
        classes,
        default=list(own_classes or classes[:1]),
        key=f"anomaly_normal_{base}",
        format_func=lambda label: class_name(names, label),
        help="The classes the detector learns; the rest are held out.",
    )
    epochs = middle.number_input("Epochs", 1, MAX_ANOMALY_EPOCHS, DEFAULT_ANOMALY_EPOCHS, key="anomaly_epochs")
    train = right.button(
        "Train on these classes",
        icon=":material/model_training:",
        key="anomaly_train",
        width="stretch",
        disabled=not normal or len(normal) == len(classes),
    )
    if not normal or len(normal) == len(classes):
        st.info("Choose the normal classes, leaving at least one class out to detect.", icon=":material/info:")
        return
    subset = subsets.subset_name(base, normal)
    runs = st.session_state.setdefault(ANOMALY_RUNS_KEY, {})
    key = (subset, trained.config.model.variant)
    if train:
        entry = ui.guarded(lambda: _start_anomaly_run(trained, subset, int(epochs)), "The run could not start")
        if entry is not None:
            runs[key] = entry
    entry = runs.get(key)
    snapshot = ui.run_snapshot(entry)
    live = snapshot is not None and ui.is_live(snapshot, entry)
    if live:
        _live_training(entry)
    elif snapshot is not None and snapshot.status == "failed":
        st.error(f"The run on the normal classes failed: {snapshot.message}", icon=":material/error:")
    detector = _detector_record(trained, subset, entry)
    baseline = reconstruction_scores(trained.record.id, model_stamp(trained.record.id))
    if detector is None:
        trained_on = _trained_on(trained, names)
        note = f"the picked run (trained on {trained_on}) scores the images below, as a baseline."
        if live:
            note = f"Until it finishes, {note}"
        else:
            variant = trained.config.model.variant
            note = f"No {variant} run on these classes alone yet: press **Train on these classes**. Meanwhile {note}"
        st.info(note, icon=":material/info:")
        scores, baseline_auc, who = baseline, None, f"the picked run, trained on {trained_on}"
    else:
        scores = reconstruction_scores(detector.id, model_stamp(detector.id))
        who = f"{detector.name}, trained on {', '.join(class_name(names, c) for c in normal)} only"
        baseline_auc = None
        if detector.id != trained.record.id:
            baseline_auc = anomaly.anomaly_auc(baseline, applications.held_out(labels, normal))
    _anomaly_results(scores, labels, normal, who, baseline_auc, f"{subset}-{detector.id if detector else 'base'}")


def _trained_on(trained: TrainedRun, names: list[str]) -> str:
    parsed = subsets.parse_subset_name(trained.config.dataset)
    return "every class" if parsed is None else ", ".join(class_name(names, c) for c in parsed[1]) + " only"


def _anomaly_results(
    scores: np.ndarray, labels: np.ndarray, normal: list[int], who: str, baseline_auc: float | None, key: str
) -> None:
    """Histograms of the two groups, a threshold with its precision and recall, the ROC curve and its AUC."""
    is_anomaly = applications.held_out(labels, normal)
    auc = anomaly.anomaly_auc(scores, is_anomaly)
    fpr, tpr, _ = applications.roc_points(scores, is_anomaly)
    low, high = float(scores.min()), float(scores.max())
    st.markdown(f"**Reconstruction errors of {scores.size:,} test images** · scored by {who}")
    threshold = st.slider(
        "Threshold: flag an image as an anomaly when its error is at least",
        low,
        max(high, low + 1e-9),
        float(np.clip(applications.default_threshold(scores, is_anomaly), low, high)),
        step=max(high - low, 1e-9) / 400,
        format="%.4f",
        key=f"anomaly_threshold_{key}",
        help="It starts where 5% of the normal images would raise a false alarm.",
    )
    result = applications.threshold_result(scores, is_anomaly, threshold)
    metrics = st.columns(4)
    metrics[0].metric(
        "ROC AUC",
        f"{auc:.3f}",
        delta=None if baseline_auc is None else f"{auc - baseline_auc:+.3f} vs all classes",
        help="1.0: every held-out image scores above every normal one; 0.5: no better than guessing. The change is "
        "against the picked run, trained on every class, scoring the same images.",
    )
    metrics[1].metric(
        "Precision",
        f"{result.precision:.3f}",
        help=f"{result.true_positives:,} of the "
        f"{result.true_positives + result.false_positives:,} flagged images are held-out.",
    )
    metrics[2].metric(
        "Recall",
        f"{result.recall:.3f}",
        help=f"{result.true_positives:,} of the "
        f"{result.true_positives + result.false_negatives:,} held-out images are flagged.",
    )
    metrics[3].metric(
        "False alarms",
        f"{result.false_positive_rate:.3f}",
        help=f"{result.false_positives:,} of the "
        f"{result.false_positives + result.true_negatives:,} normal images are flagged.",
    )
    st.caption(
        f"{int(is_anomaly.sum()):,} of the {scores.size:,} test images are held-out, so flagging images at random "
        f"would already give a precision of {is_anomaly.mean():.3f}: read precision against that."
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        figure = application_figures.score_histograms(scores[~is_anomaly], scores[is_anomaly], threshold)
        ui.shown_chart(figure, "anomaly_histograms")
    with right:
        point = (result.false_positive_rate, result.recall)
        ui.shown_chart(application_figures.roc_figure(fpr, tpr, auc, point), "anomaly_roc")
    st.latex(SCORE_FORMULA)
    st.caption("An image's score is its mean squared reconstruction error over its P pixels.")
    st.latex(PRECISION_RECALL_FORMULA)
    st.caption(
        "Flagged held-out images are true positives (TP), flagged normal images false positives (FP), missed held-out "
        "images false negatives (FN). Raising the threshold trades recall for precision."
    )
    st.latex(AUC_FORMULA)
    st.caption(
        "The ROC curve traces every threshold at once; its area is the chance that a random held-out image scores "
        "higher than a random normal one, whatever threshold you choose."
    )
