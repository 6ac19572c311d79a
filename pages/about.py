"""About: what each variant minimises, where it comes from, and the data this server offers."""

from __future__ import annotations

import streamlit as st

from aecore.data.registry import list_datasets
from aecore.settings.lessons import LESSONS, ReadyLesson, lesson_link
from aecore.settings.parameters import PARAMETERS
from aecore.settings.presets import PRESETS
from aecore.settings.variants import COMMON_HYPERPARAMETERS, VARIANTS
from pages import _ui  # noqa: F401  (the first request of a tab opened here goes through app.py: its wide layout)


def shown_settings(ready: ReadyLesson) -> str:
    variant = VARIANTS[ready.config.model.variant]
    return ", ".join(variant.parameter(name).label for name in variant.settings if name not in ready.lesson.fixed)


st.title("About Autoencoder Lab")
st.markdown(
    "An **autoencoder** learns to copy its input through a code it is not allowed to copy freely: a narrow "
    "bottleneck, noise on the input, a penalty on the code. What it keeps in that code is a representation of the "
    "data. Every variant below minimises a reconstruction loss ℓ(x, x̂) plus its own terms; the **Train** page "
    "shows each term as it learns."
)

st.header("The variants")
for variant in VARIANTS.values():
    with st.container(border=True):
        st.markdown(f"#### {variant.title} · `{variant.name}`")
        st.markdown(variant.description)
        st.latex(variant.formula)
        st.markdown(variant.explanation)
        settings = ", ".join(variant.parameter(name).label for name in variant.hyperparameters)
        st.caption(f"Settings: {settings or 'none beyond the common ones'} · source: {variant.seed}.")

st.caption(
    "Every variant also takes "
    + ", ".join(PARAMETERS[name].label for name in COMMON_HYPERPARAMETERS)
    + ". With a noise level above 0 any variant trains as a denoiser: noisy input, clean target."
)

st.header("The symbols")
left, right = st.columns(2, gap="large")
with left:
    st.markdown("**Reconstruction loss**")
    st.latex(
        r"\begin{aligned} \ell_{\mathrm{mse}} &= \sum_i (x_i - \hat x_i)^2 \\"
        r" \ell_{\mathrm{mae}} &= \sum_i |x_i - \hat x_i| \\"
        r" \ell_{\mathrm{bce}} &= -\sum_i \big[x_i \log \hat x_i + (1 - x_i)\log(1 - \hat x_i)\big] \end{aligned}"
    )
    st.caption(
        "Summed over the pixels i of an image and averaged over the batch, as in the textbook objectives: "
        "a penalty is weighed against the error of a whole image, not of one average pixel."
    )
    st.markdown("**Weight decay**")
    st.latex(r"\alpha \sum_l \lVert W_l \rVert^2")
    st.caption("Adds the squared size of every weight matrix, so large weights cost more and the model stays simple.")
    st.markdown("**Gaussian noise**")
    st.latex(r"\tilde x = \mathrm{clip}_{[0,1]}\big(x + \sigma\,\epsilon\big),\quad \epsilon \sim \mathcal{N}(0, I)")
    st.caption("σ is the noise level (the seed paper's noise factor 0.2). The target stays the clean image x.")
with right:
    st.markdown("**Bernoulli KL of the sparse autoencoder**")
    st.latex(
        r"\mathrm{KL}(\rho \,\|\, \hat\rho_j) = \rho \log\frac{\rho}{\hat\rho_j}"
        r" + (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j}"
    )
    st.caption("Zero when a unit's mean activation equals the target ρ, and growing fast as it moves away.")
    st.markdown("**Peak signal-to-noise ratio**")
    st.latex(r"\mathrm{PSNR} = 10 \log_{10} \frac{1}{\mathrm{MSE}(x, \hat x)}\ \mathrm{dB}")
    st.caption("How close a reconstruction is to the clean image; every 10 dB is a tenfold smaller squared error.")

st.header("Lessons")
st.markdown(
    "Ready lessons to start a class from: each link opens the **Train** page with its settings, shows only the "
    "controls the lesson is about, and puts its title and instructions at the top. Change what you like on the "
    "Train page and make your own with **Copy a lesson link**: opened from a lesson, it starts from that lesson "
    "and gives its link to copy, with the server's network address."
)
train_page_url = (st.context.url or "").split("?")[0].rsplit("/", 1)[0] + "/"  # the Train page is the root
for lesson_id, ready in LESSONS.items():
    with st.container(border=True):
        st.markdown(f"#### {ready.lesson.title}")
        st.markdown(ready.lesson.note)
        st.caption(f"What to see: {ready.what_to_see}. Students change: {shown_settings(ready)}.")
        link = lesson_link(train_page_url, ready.config, ready.lesson)
        st.markdown(f"[Open this lesson]({link}) · `{lesson_id}`")

st.header("Presets")
st.dataframe(
    [
        {"preset": entry.title, "id": entry.id, "reproduces": entry.source, "what you should see": entry.expect}
        for entry in PRESETS.values()
    ],
    hide_index=True,
    width="stretch",
)

st.header("Data on this server")
st.dataframe(
    [
        {
            "dataset": info.name,
            "available": "yes" if info.available else "no",
            "description": info.description if info.available else info.reason,
            "training images": info.n_train,
            "test images": info.n_test,
        }
        for info in list_datasets()
    ],
    hide_index=True,
    width="stretch",
)
