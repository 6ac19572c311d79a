"""Datasets: where each comes from, what a loaded one holds, its fixed splits, and how inputs are corrupted.

- ``registry``: the built-in datasets (offline first), the user's own, ``list_datasets`` and ``load_dataset``;
- ``dataset``: the ``Dataset`` type, its splits and probe batch; ``subsets``: a dataset limited to some classes;
- ``idx``: the MNIST IDX file format; ``uploads``: a user's ``.npz``, IDX, zip or folder of images, checked;
- ``noise``: Gaussian, salt-and-pepper, masking and block corruption (TensorFlow).

May import ``settings``, ``errors`` and ``tensorflow_runtime``.
"""
