"""Plotly figures: arrays in, ``go.Figure`` out, one module per page family; no Streamlit.

- ``style``: the slim template, ``styled``, colours; ``mosaics``: images as one heatmap, rows of images;
- ``curves``: the live loss curves, runs compared, the KL penalty curve; ``curve_terms``: what each term is called;
- ``latent``, ``denoising``, ``applications``, ``sweeps``: the figures of those pages.

May import ``analysis``, ``models.losses`` (the KL curve) and ``errors``.
"""
