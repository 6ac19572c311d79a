"""Applications: what a trained code is good for. Anomaly detection by reconstruction error, k-means on the codes
against raw pixels and PCA, and retrieval of nearest neighbours in code and pixel space, each measured on the
test images of a stored run (``aecore.explore.applications`` computes; this page lays out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from aecore.analysis.pixels import to_uint8
from aecore.explore import applications
from aecore.figures import applications as application_figures
from pages import _ui as ui
from pages._ui import applications_panels as panels
from pages._ui.explore import model_stamp, run_picker

if TYPE_CHECKING:
    from aecore.explore.stored_model import TrainedRun

TABS = ("Anomaly detection", "Clustering", "Retrieval")
QUERY_KEY = "retrieval_index"

KMEANS_FORMULA = r"\min_{\mu_1,\dots,\mu_k} \sum_{i=1}^{N} \min_{c}\, \big\lVert z_i - \mu_c \big\rVert^2"
ACCURACY_FORMULA = r"\mathrm{ACC} = \max_{m} \frac{1}{N} \sum_{i=1}^{N} \mathbf{1}\{\, y_i = m(c_i) \,\}"
NMI_FORMULA = r"\mathrm{NMI}(Y, C) = \frac{I(Y; C)}{\tfrac12\big(H(Y) + H(C)\big)}"
MIXTURE_FORMULA = (  # two lines: on one, the right column cuts it at 1280 px
    r"\begin{aligned} p(z) &= \sum_{c=1}^{k} \pi_c\, \mathcal{N}(z;\, \mu_c, \Sigma_c) \\ "
    r"c_i &= \arg\max_c\, \pi_c\, \mathcal{N}(z_i;\, \mu_c, \Sigma_c) \end{aligned}"
)
ARI_FORMULA = r"\mathrm{ARI} = \frac{\mathrm{RI} - \mathbb{E}[\mathrm{RI}]}{\max \mathrm{RI} - \mathbb{E}[\mathrm{RI}]}"
DISTANCE_FORMULA = (
    r"d_{\text{code}}(q, j) = \lVert z_q - z_j \rVert_2, \qquad d_{\text{pixel}}(q, j) = \lVert x_q - x_j \rVert_2"
)
PRECISION_AT_K_FORMULA = (
    r"\text{same class}@k = \frac{1}{k} \sum_{j \in \mathrm{NN}_k(q)} \mathbf{1}\{\, y_j = y_q \,\}"
)


def ownership_text(ownership: applications.ClusterOwnership, name: Any) -> str:
    """One sentence on which classes took several clusters and which took none: what caps the accuracy."""

    def listed(labels: tuple[int, ...]) -> str:
        return f"{'class' if len(labels) == 1 else 'classes'} {', '.join(map(name, labels))}"

    if not ownership.split and not ownership.unclaimed:
        return "Each class is the majority of exactly one cluster."
    parts = [f"The clustering gave {listed(ownership.split)} more than one cluster"] if ownership.split else []
    if ownership.unclaimed:
        verb = "is" if len(ownership.unclaimed) == 1 else "are"
        parts.append(f"{listed(ownership.unclaimed)} {verb} the majority of none")
    return (
        ", and ".join(parts) + ". The matching pairs each class with one cluster, so most images of a class without "
        "a cluster of its own count as wrong, however well the other classes separate."
    )


def cluster_map(trained: TrainedRun, stamp: float, chosen: applications.Clustering) -> None:
    """Where each test image sits on a 2-D UMAP of the codes, coloured by the cluster it fell in (computed once
    per run: UMAP takes seconds, its first use in a process also compiles its code)."""
    from aecore.analysis.clustering import manifold
    from aecore.analysis.projections import code_matrix

    kept = panels.result_slot("cluster map", (trained.record.id, stamp))
    if not kept:
        with panels.progress_bar("UMAP of the codes to 2-D (its first use also compiles its code)…") as report:
            kept.append(manifold(code_matrix(trained.test_codes), 2))
            report(1.0, "UMAP: done")
    names = [panels.class_name(trained.class_names, int(label)) for label in trained.test_labels]
    ui.shown_chart(application_figures.cluster_map(kept[0], chosen.assignments, names), "clustering_map_chart")
    st.caption(f"Colour: the cluster {chosen.name} fell in; hover for the image's class.")


def clustering_section(trained: TrainedRun, stamp: float) -> None:
    from aecore.analysis.clustering import METHODS

    count = len(trained.test_codes)
    method = (
        st.segmented_control(
            "Method", list(METHODS), format_func=METHODS.get, default="kmeans", key="clustering_method"
        )
        or "kmeans"
    )
    if method == "umap-gmm":
        st.caption(
            "k-means splits the codes by distance alone, so a class spread wide takes two centres and two classes "
            "that touch share one: on these codes it sits on a near-tie between such partitions. UMAP first keeps "
            "each image's nearest neighbours together, so every class becomes one dense clump that a Gaussian "
            "mixture then finds (N2D, McConville et al. 2019)."
        )
    results = panels.clusterings(trained, stamp, method)
    k = int(np.unique(trained.test_labels).size)
    st.markdown(
        f"**{METHODS[method]} with {k} clusters on {count:,} test images**, three ways, scored against their classes"
    )
    st.dataframe(
        {
            "representation": [result.name for result in results],
            "dimensions": [result.dims for result in results],
            "accuracy": [result.accuracy for result in results],
            "NMI": [result.nmi for result in results],
            "ARI": [result.ari for result in results],
        },
        hide_index=True,
        column_config={name: st.column_config.NumberColumn(format="%.3f") for name in ("accuracy", "NMI", "ARI")},
        key="clustering_table",
    )
    codes_result, pixels_result, pca_result = results
    gain = codes_result.accuracy - max(pixels_result.accuracy, pca_result.accuracy)
    st.caption(
        f"The codes' accuracy is {abs(gain) * 100:.1f} points {'above' if gain >= 0 else 'below'} the better of the "
        f"two baselines. PCA keeps the {pca_result.dims} directions of largest pixel variance: the best a linear "
        "code of the same size can do at rebuilding the images."
    )
    left, right = st.columns([3, 2], gap="large")
    with left:
        shown = (
            st.segmented_control(
                "Confusion matrix of",
                [result.name for result in results],
                default=codes_result.name,
                key="clustering_confusion_of",
            )
            or codes_result.name
        )
        chosen = next(result for result in results if result.name == shown)
        counts, classes, clusters = applications.matched_confusion(trained.test_labels, chosen.assignments)
        class_names = [panels.class_name(trained.class_names, int(label)) for label in classes]
        cluster_names = [f"→ {name}" for name in class_names] + [f"extra {c}" for c in clusters[len(classes) :]]
        figure = application_figures.confusion_heatmap(counts, class_names, cluster_names)
        ui.shown_chart(figure, "clustering_confusion", height=460)
        ownership = applications.cluster_ownership(trained.test_labels, chosen.assignments)
        st.caption(ownership_text(ownership, lambda label: panels.class_name(trained.class_names, label)))
        if st.toggle("The clusters on a 2-D UMAP of the codes", key="clustering_map"):
            cluster_map(trained, stamp, chosen)
    with right:
        if method == "kmeans":
            st.latex(KMEANS_FORMULA)
            st.caption("k-means places k centres to make the squared distance of each point to its nearest one small.")
        else:
            st.latex(MIXTURE_FORMULA)
            st.caption(
                "A Gaussian mixture fits k Gaussians, each with its own spread and shape, by expectation-maximisation; "
                "each image goes to the most probable one"
                + (f" (on UMAP's {k}-D embedding of the codes)." if method == "umap-gmm" else ".")
            )
        st.latex(ACCURACY_FORMULA)
        st.caption(
            "Cluster numbers are arbitrary, so each cluster c is matched to one class m(c) (the Hungarian "
            "algorithm finds the best one-to-one matching); accuracy counts the images whose cluster names their class."
        )
        st.latex(NMI_FORMULA)
        st.caption("How much knowing an image's cluster tells about its class, from 0 (nothing) to 1 (everything).")
        st.latex(ARI_FORMULA)
        st.caption(
            "The Rand index RI is the share of image pairs that the clusters and the classes both put together or both "
            "keep apart; adjusted for chance, random clusters score 0 and perfect ones 1."
        )


def _another_image(count: int) -> None:
    st.session_state[QUERY_KEY] = int(np.random.default_rng().integers(count))


def retrieval_section(trained: TrainedRun, stamp: float) -> None:
    images, labels, codes = trained.test_images, trained.test_labels, trained.test_codes
    names = trained.class_names
    pixels = images.reshape(len(images), -1)
    if st.session_state.get(QUERY_KEY, 0) >= len(images):  # picked on a run with more test images
        st.session_state[QUERY_KEY] = 0
    left, right = st.columns([1, 4], gap="medium")
    with left:
        index = st.number_input("Test image", 0, len(images) - 1, 0, key=QUERY_KEY)
        st.button("Another image", icon=":material/shuffle:", on_click=_another_image, args=(len(images),))
        k = st.slider("Neighbours k", 3, 20, 8, key="retrieval_k")
        label = int(labels[index])
        query = f"query: {panels.class_name(names, label)}"
        st.image(to_uint8(images[index]), width=112, caption=query, alt=query)
    spaces = {f"code ({codes.shape[1]}-D)": codes, f"pixel ({pixels.shape[1]}-D)": pixels}
    rows, row_labels, same, fractions = {}, {}, {}, {}
    for space, features in spaces.items():
        nearest = applications.nearest_neighbours(features, int(index), int(k))
        rows[space] = images[nearest]
        row_labels[space] = [panels.class_name(names, int(value)) for value in labels[nearest]]
        same[space] = labels[nearest] == label
        fractions[space] = applications.same_class_fraction(labels, int(index), nearest)
    with st.spinner(f"Every test image's {k} neighbours in both spaces… (once per run and k)"):
        means = [
            panels.code_retrieval_precision(trained.record.id, stamp, int(k)),
            panels.pixel_retrieval_precision(trained.config.dataset, len(images), int(k), images, labels),
        ]
    with right:
        st.markdown(f"**The {k} nearest test images** in code space and in pixel space · green: the query's class")
        figure = application_figures.neighbour_rows(rows, row_labels, same)
        ui.shown_chart(figure, "retrieval_neighbours", height=None, width="content")
        metrics = st.columns(2)
        for column, (space, fraction), mean in zip(metrics, fractions.items(), means, strict=True):
            column.metric(
                f"Same class, {space.split(' ')[0]} space",
                f"{fraction:.0%}",
                delta=f"{mean:.1%} over all test images",
                delta_color="off",
                delta_arrow="off",
                help=f"Of this image's {k} neighbours; below, the average over all "
                f"{len(images):,} test images as queries.",
            )
    st.latex(DISTANCE_FORMULA)
    st.caption(
        "Neighbours are the test images at the smallest Euclidean distance from the query, between codes z = f(x) "
        "or between the raw pixels x."
    )
    st.latex(PRECISION_AT_K_FORMULA)
    st.caption("The share of the k neighbours of the query's class: a code that groups by meaning scores higher.")


st.title("Applications")
st.caption(
    "What a trained code is good for: flagging images unlike the training classes, grouping images without labels, "
    "and finding similar images. Every number is measured on the run's test images, beside a plain baseline."
)
trained = run_picker()
if trained is not None:
    stamp = model_stamp(trained.record.id)
    anomaly, clustering, retrieval = st.tabs(TABS, key="applications_tab", on_change="rerun")
    if anomaly.open:
        with anomaly:
            ui.guarded(lambda: panels.anomaly_section(trained), "Anomaly detection")
    if clustering.open:
        with clustering:
            ui.guarded(lambda: clustering_section(trained, stamp), "Clustering")
    if retrieval.open:
        with retrieval:
            ui.guarded(lambda: retrieval_section(trained, stamp), "Retrieval")
