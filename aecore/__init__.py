"""Autoencoder Lab's core: variants, data, training engine, analysis and figures (no UI)."""

import os

# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) hides what a user needs to read;
# set before any module here imports TensorFlow, and left alone if the user chose a level.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
