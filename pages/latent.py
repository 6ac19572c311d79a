"""Latent space: where a trained model puts the test images, what each code dimension does, and what it makes of
a digit you draw. Every number and image comes from the stored run's model (``aecore.explore.stored_model``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from aecore.analysis import projections, traversals
from aecore.analysis.pixels import to_uint8
from aecore.explore import latent, layouts
from aecore.figures import latent as latent_figures
from aecore.figures import mosaics
from pages import _ui as ui
from pages._ui.explore import computed_once, model_stamp, run_picker

if TYPE_CHECKING:
    from aecore.explore.stored_model import TrainedRun

METHODS = layouts.PROJECTION_NAMES
INDEX_KEY = "latent_index"
DRAWN_KEY = "latent_drawn_code"
INTERPOLATION = r"z(t) = (1 - t)\, z_a + t\, z_b, \quad t \in [0, 1]"
TRAVERSAL = r"\hat x = g\big(z + \delta\, e_k\big)"


def projection(trained: TrainedRun, stamp: float, method: str, dims: int) -> layouts.Layout:
    """The scatter's layout of the run's test codes: read from its folder, or followed or computed once under a
    progress bar (``layouts.layout_for``)."""
    folder, codes = trained.folder, trained.test_codes
    stored = layouts.read_layout(folder, method, dims, len(codes))
    if stored is not None:
        return stored
    what = f"{METHODS[method]} {dims}-D of {len(codes):,} codes… (once per run, then kept with it)"
    return computed_once(
        "projection",
        (trained.record.id, stamp, method, dims),
        what,
        lambda progress: layouts.layout_for(folder, codes, method, dims, progress),
    )


def image(pixels: np.ndarray, caption: str, width: int = 96) -> None:
    st.image(to_uint8(pixels), caption=caption, width=width, clamp=True, alt=caption)


#: the most images a selection shows (the CSV has every one)
SELECTION_SHOWN = 40


def selection_panel(indices: list[int], trained: TrainedRun, layout: layouts.Layout) -> None:
    """A box or lasso selection: its images with their labels, and the selection as CSV."""
    from aecore.explore.latent import selection_csv

    labels, names = trained.test_labels, trained.class_names
    shown = indices[:SELECTION_SHOWN]
    more = f" (the first {SELECTION_SHOWN} shown)" if len(indices) > SELECTION_SHOWN else ""
    st.markdown(f"**{len(indices):,} points selected**{more}")
    captions = [f"{names[labels[i]] if 0 <= labels[i] < len(names) else ''} · {i}" for i in shown]
    st.image([to_uint8(trained.test_images[i]) for i in shown], width=48, caption=captions, alt=captions)
    st.download_button(
        "Selection (CSV)",
        data=selection_csv(indices, labels, names, layout.points_of(indices)),
        file_name=f"selection-{trained.record.id}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="latent_selection_csv",
    )


def scatter_section(trained: TrainedRun, stamp: float) -> int:
    """The codes of the test images; returns the index of the image the person picked."""
    codes = trained.test_codes
    size = codes.shape[1]
    left, right = st.columns([3, 1])
    with right:
        three_d = st.toggle("3-D", value=size == 3, key="latent_3d", help="A rotatable 3-D scatter.")
        dims = 3 if three_d else 2
        method = "pca"
        if size > dims:
            method = st.radio(
                "Projection",
                list(METHODS),
                format_func=METHODS.get,
                key="latent_method",
                help="PCA keeps distances along the directions the codes vary most; t-SNE and UMAP keep who is "
                "near whom, and move the rest.",
            )
            ready = [METHODS[name] for name in layouts.stored_methods(trained.folder, dims)]
            st.caption(
                f"Kept with the run: {', '.join(ready)}. Others are computed once when picked."
                if ready
                else "None kept with the run yet: each is computed once when picked."
            )
    with left:
        layout = projection(trained, stamp, method, dims)
    drawn = st.session_state.get(DRAWN_KEY)
    marker = None if drawn is None or drawn[0] != trained.record.id else layout.place(codes, drawn[1])[0]
    axes = (
        [f"z{d}" for d in range(1, dims + 1)]
        if size <= dims
        else [f"{METHODS[method]} {d}" for d in range(1, dims + 1)]
    )
    labels = trained.test_labels[layout.index]
    figure = latent_figures.selectable_codes(layout.points, labels, trained.class_names, axes, marker, layout.index)
    with left:
        what = f"its {size}-D code" if size <= dims else f"{METHODS[method]} of its {size}-D code"
        st.markdown(f"**Codes of {len(layout.index):,} test images** by class · {what}")
        event = st.plotly_chart(
            figure.update_layout(height=460),
            key=f"latent_scatter_{dims}",
            width="stretch",
            on_select="rerun",
            selection_mode=("points", "box", "lasso"),
            config={"displaylogo": False},
        )
    selected = event["selection"]["points"] if event else []  # item access: the state is a dict (attributes too)
    picked = [point.get("customdata") for point in selected if "customdata" in point]
    if len(picked) > 1:
        with left:
            selection_panel([int(index) for index in picked], trained, layout)
    # the widget's state is set before it is drawn: a point picked on the scatter, or the last pick kept in this
    # run's range (another run may have fewer test images)
    chosen = int(picked[0]) if picked else int(st.session_state.get(INDEX_KEY, 0))
    st.session_state[INDEX_KEY] = min(max(chosen, 0), len(codes) - 1)
    with right:
        index = st.number_input(
            "Test image", 0, len(codes) - 1, key=INDEX_KEY,
            help="Click or lasso a point of the 2-D scatter to pick its image.",
        )  # fmt: skip
        image(trained.test_images[index], f"test image {index}")
        image(trained.reconstruct(trained.test_images[index : index + 1])[0], "reconstruction")
        shown = ", ".join(f"{value:.2f}" for value in codes[index][:8]) + (" …" if size > 8 else "")
        st.caption(f"Code: ({shown})")
    return int(index)


def manifold_section(trained: TrainedRun) -> None:
    st.markdown("**Decoded manifold** · a grid of 2-D codes, each decoded to an image")
    left, right = st.columns([1, 3])
    with left:
        gaussian = trained.code_kind == "gaussian"
        count = st.slider("Grid size", 5, 25, 15, key="manifold_size")
        center, scale = None, None
        if gaussian:
            st.caption("The grid covers the prior N(0, I) at its quantiles, as in the VAE paper's figure.")
        else:
            span = st.slider("Range (σ around the codes' mean)", 0.5, 4.0, 2.0, 0.5, key="manifold_span")
            center, scale = projections.code_statistics(trained.test_codes)
            scale = scale * span / traversals.MANIFOLD_SPAN
    grid = traversals.manifold_grid(trained.decode, 2, n=count, center=center, scale=scale)
    with right:
        ui.shown_chart(mosaics.image_mosaic(to_uint8(grid), max_width=520), "manifold", height=None, width="content")


def traversal_section(trained: TrainedRun, index: int) -> None:
    @st.fragment
    def sliders() -> None:
        codes = trained.test_codes
        dims = list(latent.widest_dimensions(codes, 16))
        if not dims:
            st.caption("Every code dimension is the same for all test images: there is nothing to traverse.")
            return
        base = codes[index].copy()
        st.markdown(f"**Traversal** around test image {index} · the {len(dims)} most varied dimensions")
        left, right = st.columns([3, 1])
        code = base.copy()
        with left:
            columns = st.columns(4)
            for slot, (dim, (low, high)) in enumerate(zip(dims, latent.slider_ranges(codes, base, dims), strict=True)):
                step = (high - low) / 60 or 0.01
                key = f"traverse_{index}_{dim}"
                code[dim] = columns[slot % 4].slider(
                    f"z{dim + 1}", low, high, float(base[dim]), step, key=key, format="%.2f"
                )
        with right:
            image(latent.decode_one(trained.decode, code), "decoded", width=150)
        st.latex(TRAVERSAL)
        st.caption("Each slider moves one code dimension k by δ (± 3 standard deviations of the test codes).")

    sliders()


def interpolation_section(trained: TrainedRun, index: int) -> None:
    st.markdown("**Interpolation** between two test images, in code space and in pixel space")
    first, second = st.columns(2)
    start = first.number_input("From test image", 0, len(trained.test_codes) - 1, index, key="interp_from")
    end = second.number_input(
        "To test image", 0, len(trained.test_codes) - 1, (index + 1) % len(trained.test_codes), key="interp_to"
    )
    codes = latent.interpolate(trained.test_codes[start], trained.test_codes[end], 10)
    pixels = latent.interpolate(trained.test_images[start], trained.test_images[end], 10)
    rows = {"code space": to_uint8(trained.decode(codes)), "pixel space": to_uint8(pixels)}
    ui.shown_chart(mosaics.image_rows(rows), "interpolation", height=None, width="content")
    st.latex(INTERPOLATION)
    st.caption("Decoding the straight line between two codes gives images on the way from one to the other; "
               "the same line in pixel space only cross-fades them.")  # fmt: skip


def drawing_section(trained: TrainedRun) -> None:
    from streamlit_drawable_canvas import st_canvas

    @st.fragment
    def canvas() -> None:
        st.markdown("**Draw a digit** · it is centred and scaled the way MNIST was made, then encoded")
        left, right = st.columns([1, 2])
        with left:
            drawn = st_canvas(
                stroke_width=20, stroke_color="#FFFFFF", background_color="#000000", height=224, width=224,
                drawing_mode="freedraw", return_image_data=True, key="latent_canvas",
            )  # fmt: skip
        pixels = None if drawn is None or drawn.image_data is None else drawn.image_data[..., :3].mean(axis=-1) / 255
        with right:
            if pixels is None or pixels.max() <= 0.05:
                st.caption("Draw in the black square: its code appears as a star on the scatter.")
                return
            side = trained.dataset.image_shape[0]
            centred = latent.mnist_style(pixels, side)
            code = trained.encode(centred[None])[0]
            near = latent.nearest(trained.test_codes, code, 8)
            image(centred, "your digit, centred")
            image(latent.decode_one(trained.decode, code), "reconstruction")
            st.image(
                list(to_uint8(trained.test_images[near])),
                width=56,
                caption=[f"#{i}" for i in near],
                alt=[f"test image {i}" for i in near],
            )
            st.caption("Its nearest test images in code space.")
            st.session_state[DRAWN_KEY] = (trained.record.id, code)
            if st.button("Place it on the scatter", icon=":material/star:"):
                st.rerun()  # the whole page: the scatter above is outside this fragment

    canvas()


def prior_section(trained: TrainedRun) -> None:
    prior = trained.config.regularisation.prior if trained.config.model.variant == "aae" else "normal"
    st.markdown(f"**Samples of the prior** · codes drawn from p(z) ({prior}), decoded")
    seed = st.number_input("Seed", 0, 10_000, 0, key="prior_seed")
    codes = latent.prior_samples(prior, trained.test_codes.shape[1], 16, int(seed))
    ui.shown_chart(mosaics.image_rows({"samples": to_uint8(trained.decode(codes))}), "prior", height=None,
                   width="content")  # fmt: skip
    st.latex(
        r"z \sim \mathcal{N}(0, I), \quad \hat x = g(z)"
        if prior == "normal"
        else r"z \sim \tfrac{1}{10}\sum_c \mathcal{N}(\mu_c, 0.5^2 I)"
    )
    st.caption("A generative model decodes codes it never saw into plausible images; a plain autoencoder would not.")


st.title("Latent space")
st.caption("Where a trained model puts the test images, what each code dimension controls, and what it makes of yours.")
trained = run_picker(per_run_keys=(INDEX_KEY, "interp_from", "interp_to", "manifold_span", "manifold_size"))
if trained is not None:
    stamp = model_stamp(trained.record.id)
    index = scatter_section(trained, stamp)
    if trained.test_codes.shape[1] == 2:
        manifold_section(trained)
    traversal_section(trained, index)
    interpolation_section(trained, index)
    if trained.config.model.variant in ("vae", "aae"):
        prior_section(trained)
    drawing_section(trained)
