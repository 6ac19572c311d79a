"""Autoencoder Lab's core: variants, data, training engine, analysis and figures (no UI)."""
