"""Sparsity: how a trained code's units fire. The KL penalty with every unit on it (the seed paper's Figure 5), the
spread of their mean activations, the few units one image uses, and the first layer's weights as images."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from aecore.analysis.pixels import to_uint8
from aecore.explore import latent
from aecore.figures import curves
from aecore.figures import latent as latent_figures
from aecore.runs.snapshots import ACTIVE
from aecore.settings.variants import SPARSITY_RECIPE, VARIANTS
from pages import _ui as ui
from pages._ui.explore import model_stamp, run_picker, trained_run

if TYPE_CHECKING:
    from aecore.explore.stored_model import TrainedRun

KL_FORMULA = (
    r"\mathrm{KL}(\rho \,\|\, \hat\rho_j) = \rho \log\frac{\rho}{\hat\rho_j} + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j},"
    r"\qquad \hat\rho_j = \frac{1}{m}\sum_{i=1}^{m} h_j\big(x^{(i)}\big)"
)
SIGMOID_CODES = ("sparse", "contractive")
#: variants whose code is not sparse by design: the comparison a sparse code is shown beside
PLAIN_VARIANTS = ("undercomplete", "deep")


def plain_run(trained: TrainedRun) -> Any:
    """A stored plain autoencoder on the same dataset, if the store has one, to show the same image beside."""
    for record in ui.run_store().list(dataset=trained.config.dataset):
        if record.variant in PLAIN_VARIANTS and record.status not in ACTIVE and record.epochs_done >= 1:
            try:
                return trained_run(record.id, model_stamp(record.id))
            except Exception:  # noqa: BLE001  (a damaged run is simply not offered as a comparison)
                continue
    return None


def sparsity_figures(trained: TrainedRun) -> None:
    """The three figures that say whether a code is sparse, for any run, with one "on" threshold for the page."""
    uses_rho = "rho" in VARIANTS[trained.config.model.variant].hyperparameters
    rho = trained.config.regularisation.rho
    figures = latent.sparsity(trained.test_codes, rho)
    metrics = st.columns(3)
    metrics[0].metric(
        "Mean activation ρ̂ of the units",
        f"{figures.mean_rho_hat:.3f}",
        help="The average over the units of each unit's mean activation on the test images.",
    )
    metrics[1].metric(
        "Units within ±0.05 of ρ",
        f"{figures.units_near_rho} of {figures.units}" if uses_rho else "no ρ",
        help="How many units have their mean activation ρ̂ⱼ near the target ρ."
        if uses_rho
        else "This variant has no target activation ρ.",
    )
    on_units = figures.on_fraction * figures.units
    metrics[2].metric(
        "Units on per image",
        f"{figures.on_fraction:.1%} ({on_units:.1f} of {figures.units})",
        help=f"Per test image, the share of units above {latent.ON_THRESHOLD:g}, averaged over the images.",
    )
    if uses_rho and trained.config.regularisation.sparsity == "kl":
        if figures.is_sparse:
            verdict = (
                f"**A sparse code.** The units average ρ̂ = {figures.mean_rho_hat:.3f} against ρ = {rho:g}, and each "
                f"image turns on about {on_units:.1f} of {figures.units}: each unit fires strongly for a few images "
                "and stays near 0 for the rest."
            )
        else:
            verdict = (
                f"**Not a sparse code yet.** A sparse code has the units' mean within ±0.03 of ρ = {rho:g}, at least "
                f"half of them within ±0.05, and between {rho / 2:.1%} and {2.5 * rho:.1%} of the units on per image."
            )
        st.markdown(verdict)
        st.caption(SPARSITY_RECIPE)


def kl_section(trained: TrainedRun) -> None:
    rho = trained.config.regularisation.rho
    rho_hat = latent.population_mean_activation(trained.test_codes)
    st.markdown(f"**The sparsity penalty for ρ = {rho:g}** with each of the {rho_hat.size} units at its ρ̂ⱼ")
    left, right = st.columns(2, gap="large")
    with left:
        ui.shown_chart(curves.kl_penalty_curve(rho, rho_hat), "sparsity_kl_curve")
    with right:
        ui.shown_chart(latent_figures.rho_hat_histogram(rho_hat, rho), "sparsity_histogram")
    penalty = trained.config.regularisation.beta * latent.sparsity_penalty(rho, rho_hat)
    st.latex(KL_FORMULA)
    st.caption(
        f"ρ̂ⱼ is unit j's mean activation over the {len(trained.test_codes):,} test images (the population, not a "
        f"batch); here β·Σⱼ KL = {penalty:.3f}. The penalty is zero only where ρ̂ⱼ = ρ, so training pulls every unit "
        "toward the dashed line."
    )


def activity_section(trained: TrainedRun) -> None:
    st.markdown("**Which units fire for one image**")
    left, right = st.columns([1, 3])
    with left:
        index = st.number_input("Test image", 0, len(trained.test_codes) - 1, 0, key="sparsity_index")
        st.image(
            to_uint8(trained.test_images[index]), width=112, caption=f"test image {index}", alt=f"test image {index}"
        )
    codes = {f"{trained.record.name} ({trained.config.model.variant})": trained.test_codes[index]}
    plain = plain_run(trained)
    if plain is not None and plain.test_codes.shape[1] <= 256:
        codes[f"{plain.record.name} ({plain.config.model.variant})"] = plain.test_codes[index]
    with right:
        ui.shown_chart(latent_figures.unit_activity(codes), "sparsity_activity")
    counts = [
        f"{name}: {latent.active_units(code)} of {np.size(code)} units on (above {latent.ON_THRESHOLD:g})"
        for name, code in codes.items()
    ]
    st.caption(
        " · ".join(counts) + ("" if plain else ". Train a plain (undercomplete) run on this dataset to compare.")
    )


def weights_section(trained: TrainedRun) -> None:
    kernel = latent.first_layer_kernel(trained.model.encoder.layers)
    tiles = latent.weight_tiles(kernel, trained.dataset.image_shape)
    conv = kernel.ndim == 4
    st.markdown(
        f"**The first convolution's {len(tiles)} filters**"
        if conv
        else f"**Each first-layer unit's weights** · {len(tiles)} units"
    )
    shown = tiles[:256]
    ui.shown_chart(latent_figures.weight_grid(shown, columns=min(16, len(shown))), "sparsity_weights", height=None,
                   width="content")  # fmt: skip
    st.caption(
        ("Each 3×3 filter, scaled to its own range." if conv else "Each unit's incoming weights as an image, scaled to "
         "its own range: the input pattern that excites it most (the seed report's Figs. 4 and 8).")
        + (f" The first 256 of {len(tiles)} are shown." if len(tiles) > 256 else "")
    )  # fmt: skip


st.title("Sparsity")
st.caption("How the units of a trained code fire: their mean activations against the target, and what they learned.")
trained = run_picker(per_run_keys=("sparsity_index",))
if trained is not None:
    sparse_kl = trained.config.model.variant == "sparse" and trained.config.regularisation.sparsity == "kl"
    sparsity_figures(trained)
    if sparse_kl:
        kl_section(trained)
    elif trained.config.model.variant in SIGMOID_CODES:
        rho_hat = latent.population_mean_activation(trained.test_codes)
        st.markdown("**Mean activation ρ̂ⱼ of every unit** over the test images")
        ui.shown_chart(latent_figures.bar_per_dimension(rho_hat, None, "mean activation ρ̂"), "sparsity_rho_hat")
    else:
        st.info(
            "This run's code is not a sigmoid code with a target activation, so the KL penalty does not apply; "
            "its unit activity and weights are below. Pick a sparse run to see the penalty.",
            icon=":material/info:",
        )
    activity_section(trained)
    weights_section(trained)
