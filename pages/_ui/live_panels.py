"""The panels of a run's live view: the loss chart, the probe images and the plots its variant and its code add.

Every panel takes a ``Snapshot``, live from a job or read back from the store, and draws it the same way;
``pages._ui.live`` arranges them and polls the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from aecore.errors import AecoreError
from aecore.runs.folder import validation_points
from aecore.settings.variants import VARIANTS
from pages import _ui as ui

if TYPE_CHECKING:
    from aecore.runs.snapshots import Snapshot

#: the terms every model has; anything else a model reports is one of its penalties
BASE_TERMS = ("reconstruction", "total", "weight_decay")
#: the loss chart's log-scale preference, and the key of the toggle that sets it
LOG_SCALE_PREFERENCE, LOG_SCALE_TOGGLE = "loss_log_scale", "loss_log_scale_toggle"
#: about the width of one of the live view's two columns at 1280 px with the sidebar open: a wider mosaic is
#: squeezed into the column and leaves blank space above and below it
HALF_PAGE_WIDTH = 260
#: the probe images stand beside the loss chart in two groups of this many rows, as tall as the chart
PROBE_ROWS = 8
#: the KL formulas on two lines: on one they are wider than a column at 1280 px
KL_FORMULA = (
    r"\begin{aligned} &\mathrm{KL}(\rho \,\|\, \hat\rho_j) = \rho \log\frac{\rho}{\hat\rho_j} \\ "
    r"&\quad + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j} \end{aligned}"
)
GAUSSIAN_KL_FORMULA = (
    r"\begin{aligned} \mathrm{KL}_k = \tfrac12\big(&\mu_k^2 + \sigma_k^2 \\ &- \log\sigma_k^2 - 1\big) \end{aligned}"
)
MEAN_ACTIVATION_FORMULA = r"\hat\rho_j = \frac{1}{m}\sum_{i=1}^{m} h_j\big(x^{(i)}\big)"


def dataset_class_names(name: str) -> list[str] | None:
    from aecore.data.registry import load_dataset

    try:
        return list(load_dataset(name).class_names) or None
    except AecoreError:  # a removed upload: the scatter shows plain labels
        return None


REFERENCES_TOGGLE = "loss_references"


def loss_panel(snapshot: Snapshot) -> None:
    """The loss chart under a one-line heading (the counts go below it), so it fits a laptop screen with the probes."""
    # a term that is exactly 0 all along (weight decay with α = 0) only clutters the chart
    terms = [name for name, values in snapshot.batch_terms.items() if np.any(values != 0)]
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.markdown("**Loss per batch**")
    # a keyed toggle seeded from the preference, which lives in a key of its own: Streamlit drops a widget's
    # state on a run that does not draw it (another page, a run that has no chart yet), not the preference. A
    # toggle without a key but with value= became a new widget after each flip, and a second flip before the
    # next poll (a finished run does not poll) went to the old one and was lost
    if LOG_SCALE_TOGGLE not in st.session_state:
        st.session_state[LOG_SCALE_TOGGLE] = st.session_state.get(LOG_SCALE_PREFERENCE, True)
    log_y = right.toggle("Log scale", key=LOG_SCALE_TOGGLE)
    st.session_state[LOG_SCALE_PREFERENCE] = log_y
    shown = st.session_state.get(REFERENCES_TOGGLE, False)  # its toggle sits under the chart
    references = reference_losses(snapshot) if shown else None
    figure = ui.curves_figure(
        snapshot, "loss", lambda: terms_figure(snapshot, terms, log_y, "loss", references), log_y, shown
    )
    ui.shown_chart(figure, "loss_chart")
    st.caption(
        f"{len(snapshot.batch_steps)} batches · {len(snapshot.epoch_history)} validation points, "
        "dashed, after each epoch"
    )
    st.toggle(  # a line of its own: beside the caption a column cut it to "Ref…" at 1280 px
        "References",
        key=REFERENCES_TOGGLE,
        help="Where two simple models sit on this loss: the average training image (a model that learned "
        "nothing) and PCA with as many components as the code (the best linear autoencoder of that size).",
    )


def reference_losses(snapshot: Snapshot) -> dict[str, float] | None:
    """The mean image's and PCA's loss for this run's data, loss, reduction and code size (once its code is
    known: its first preview), labelled as the chart shows them."""
    if snapshot.preview is None:
        return None
    from aecore.explore.baselines import reference_losses as references

    config = snapshot.config
    model, training = config.model, config.training
    values = references(config.dataset, model.loss, model.reduction, training.batch_size, snapshot.preview.code_size)
    return {f"{name} ({model.loss})": value for name, value in values.items()}


def terms_figure(
    snapshot: Snapshot, terms: list[str], log_y: bool, y_title: str, references: dict[str, float] | None = None
) -> Any:
    """Per-batch curves of some loss terms with their per-epoch validation values on top."""
    from aecore.figures import curves

    history = snapshot.epoch_history
    epoch_steps = np.array([record["batches"] for record in history])
    measured = {term: validation_points(history, term, x="batches")[1] for term in terms}
    return curves.loss_curves(
        snapshot.batch_steps,
        {term: snapshot.batch_terms[term] for term in terms},
        epoch_steps,
        {term: values for term, values in measured.items() if len(values) and len(values) == len(epoch_steps)},
        log_y=log_y,
        y_title=y_title,
        markers=[(change.batch, change.label(snapshot.config.model.variant)) for change in snapshot.live_changes],
        references=references,
    )


def probe_panel(snapshot: Snapshot) -> None:
    """The probes beside the loss chart, as tall as it: a class sees both without scrolling."""
    preview = snapshot.preview
    if preview.probe_noisy is None:
        kinds = {"input": preview.probe_clean, "output": preview.probe_reconstruction}
    else:
        kinds = {"clean": preview.probe_clean, "noisy": preview.probe_noisy, "denoised": preview.probe_reconstruction}
    st.markdown("**Probe images**")
    from aecore.figures.mosaics import probe_strip  # plotly and pandas: after the first page is drawn

    figure = ui.preview_figure(snapshot, "probe", lambda: probe_strip(kinds, PROBE_ROWS, HALF_PAGE_WIDTH))
    ui.shown_chart(figure, "probe_chart", width="content")
    when = "after every batch" if snapshot.paused or snapshot.pace else "every epoch"
    st.caption(f"{', '.join(kinds).capitalize()}: refreshed {when}, {trained_so_far(preview.epoch)}.")


def trained_so_far(epochs: float) -> str:
    """``after epoch 2``, or ``after 1.4 epochs`` for a preview taken within an epoch (never "epoch 2.00")."""
    if float(epochs).is_integer():
        return f"after epoch {int(epochs)}"
    return f"after {epochs:.1f} epochs"


def sparsity_panel(snapshot: Snapshot) -> None:
    """The seed paper's Figure 5 live: KL(ρ‖ρ̂) over ρ̂ with every code unit on it."""
    from aecore.figures import curves

    rho = snapshot.config.regularisation.rho
    st.markdown(f"**KL sparsity penalty** for ρ = {rho:g}, with every unit's $\\hat\\rho_j$")
    figure = ui.preview_figure(snapshot, "kl", lambda: curves.kl_penalty_curve(rho, snapshot.preview.mean_activation))
    ui.shown_chart(figure, "kl_penalty_chart")
    st.latex(KL_FORMULA)
    st.latex(MEAN_ACTIVATION_FORMULA)
    st.caption(
        "Each dot is one code unit at its mean activation $\\hat\\rho_j$ over the validation images. "
        "The penalty is zero only at $\\hat\\rho_j = \\rho$, so training pulls the dots toward the dashed line. "
        "The validation KL in the curves takes $\\hat\\rho_j$ over the whole validation set too, while training "
        "takes it per batch: KL is convex, so a batch's value runs higher the smaller the batch, and the gap "
        "between the two curves is that, not overfitting."
    )


def per_dimension_panel(snapshot: Snapshot, heading: str, name: str, values: Any, axis_title: str) -> None:
    """One bar per code dimension of a value the preview holds, under its heading."""
    from aecore.figures import latent as latent_figures

    st.markdown(heading)
    figure = ui.preview_figure(snapshot, name, lambda: latent_figures.bar_per_dimension(values, None, axis_title))
    ui.shown_chart(figure, f"{name}_chart")


def activation_panel(snapshot: Snapshot) -> None:
    heading = "**Mean activation $\\hat\\rho_j$ of every code unit**"
    per_dimension_panel(snapshot, heading, "activation", snapshot.preview.mean_activation, "mean activation ρ̂")
    st.caption("A sigmoid unit's average output over the validation images: near 0, it rarely fires.")


def vae_kl_panel(snapshot: Snapshot) -> None:
    heading = "**KL of q(z|x) to N(0, I), per code dimension**"
    per_dimension_panel(snapshot, heading, "vae_kl", snapshot.preview.kl_per_dimension, "KL (nats)")
    st.latex(GAUSSIAN_KL_FORMULA)
    st.caption("A dimension whose KL stays near 0 carries no information: the encoder leaves it at the prior.")


def penalty_history_panel(snapshot: Snapshot, terms: list[str]) -> None:
    figure = ui.curves_figure(snapshot, "penalty", lambda: terms_figure(snapshot, terms, log_y=True, y_title="penalty"))
    # the legend names the terms (their code names read badly as a heading); two that coincide (the KL and β·KL
    # at β = 1) are one curve
    curves = sum(trace.mode == "lines" for trace in figure.data)
    st.markdown("**Penalty per batch**" if curves == 1 else "**Penalties per batch**")
    ui.shown_chart(figure, "penalty_chart")
    st.caption("Log scale; dashed: the validation value after each epoch.")


def traversal_panel(snapshot: Snapshot) -> None:
    from aecore.figures import mosaics

    traversal = snapshot.preview.traversal
    st.markdown("**Latent traversal** · one code dimension moved from −3σ to +3σ per row")
    figure = ui.preview_figure(
        snapshot,
        "traversal",
        lambda: mosaics.image_mosaic(
            traversal.images, traversal.row_labels, traversal.column_labels, max_width=HALF_PAGE_WIDTH
        ),
    )
    ui.shown_chart(figure, "traversal_chart", height=None, width="content")
    st.caption("Each row decodes one validation image's code with a single dimension changed.")


def manifold_panel(snapshot: Snapshot) -> None:
    from aecore.figures import mosaics

    st.markdown("**Decoded manifold** of the 2-D code")
    figure = ui.preview_figure(
        snapshot, "manifold", lambda: mosaics.image_mosaic(snapshot.preview.manifold, max_width=HALF_PAGE_WIDTH)
    )
    ui.shown_chart(figure, "manifold_chart", height=None, width="content")
    gaussian = VARIANTS[snapshot.config.model.variant].code_kind == "gaussian"
    st.caption(
        "A 15 × 15 grid of codes decoded to images: at the normal quantiles for the VAE's prior."
        if gaussian
        else "A 15 × 15 grid of codes decoded to images, spanning the real codes' mean ± 2 standard deviations."
    )


def scatter_panel(snapshot: Snapshot) -> None:
    from aecore.figures import latent as latent_figures

    preview = snapshot.preview
    st.markdown(
        "**Codes of validation images** by class"
        if preview.code_size <= 2
        else f"**Codes of validation images** by class · PCA of the {preview.code_size}-D code"
    )

    def build() -> Any:
        class_names = dataset_class_names(snapshot.config.dataset)
        return latent_figures.latent_scatter(
            preview.code_points, preview.code_labels, class_names, axis_titles=list(preview.code_axes)
        )

    ui.shown_chart(ui.preview_figure(snapshot, "scatter", build), "latent_scatter_chart")


def shows_sparsity_kl(config: Any) -> bool:
    """Whether a run has the Bernoulli KL penalty of the seed's Figure 5: a sigmoid code penalised by KL(ρ‖ρ̂)."""
    variant = VARIANTS[config.model.variant]
    return (
        variant.code_kind == "sigmoid" and "rho" in variant.hyperparameters and config.regularisation.sparsity == "kl"
    )


def panels_after_probes(snapshot: Snapshot, penalties: list[str]) -> list[Any]:
    """The panels below the loss chart and the probes, in pairs: the variant's own first, then the code's."""
    variant = VARIANTS[snapshot.config.model.variant]
    preview = snapshot.preview
    panels = []
    if shows_sparsity_kl(snapshot.config):
        panels.append(sparsity_panel)
    elif variant.code_kind == "sigmoid":
        panels.append(activation_panel)
    elif preview.kl_per_dimension is not None:
        panels.append(vae_kl_panel)
    if penalties:
        panels.append(lambda shown: penalty_history_panel(shown, penalties))
    panels += [scatter_panel, traversal_panel]
    if preview.manifold is not None:
        panels.append(manifold_panel)
    return panels
