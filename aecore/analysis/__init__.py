"""Numpy maths on codes and images, with no model and no TensorFlow: functions take arrays and plain callables.

- ``pixels``: image stacks and 8-bit images for display;
- ``traversals``: latent traversals and the 2-D manifold grid;
- ``projections``: codes projected to 2-D or 3-D (PCA, t-SNE, UMAP) and per-dimension statistics;
- ``clustering``: k-means on codes, contingency tables, Hungarian-matched accuracy;
- ``anomaly``: reconstruction errors as anomaly scores and their ROC AUC.

May import ``errors`` only.
"""
