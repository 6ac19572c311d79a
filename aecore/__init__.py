"""Autoencoder Lab's core: variants, data, training, the run store, analysis and figures; it never imports Streamlit.

Folders by topic, bottom to top: each imports only those listed before it (``tests/unit/test_architecture.py``
checks it):

    errors, tensorflow_runtime   the one exception type; TensorFlow imported once, quietly
    settings    run configuration, validation, the parameter registry, variants, presets, URL links
    analysis    numpy maths on codes and images
    data        the dataset registry, a loaded dataset and its splits, IDX, uploads, class subsets, noise
    models      one module per variant, loss terms
    runs        the run store, snapshots, checkpoints, archives, comparison
    training    the engine, its live state, compiled steps, evaluation, devices
    explore     what a stored run is good for, its codes' layouts among it
    jobs        the job interface, its fair queue, the local worker pool and Ray
    sweeps      sweep plans, statistics, the seed report's tables
    figures     plotly builders
    cli         the command line (``python -m aecore``)

``docs/architecture.md`` has the full map and how a run flows.
"""

import os

#: the product's version: every run records it (``run.json``), and only runs of one version group as seeds
__version__ = "0.2.0"

# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) hides what a user needs to read;
# set before any module here imports TensorFlow, and left alone if the user chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
