"""Datasets: where each comes from, what a loaded one holds, its fixed splits, and how inputs are corrupted.

- ``registry``: every dataset by name, built-in and the user's own: ``list_datasets`` and ``load_dataset``;
- ``builtin``: where each built-in dataset is found (offline first) and how it is loaded;
- ``dataset``: the ``Dataset`` type, its splits and probe batch; ``subsets``: a dataset limited to some classes;
- ``idx``: the MNIST IDX file format; ``declared``: arrays checked by their headers, converted a chunk at a time;
- ``uploads``: a user's ``.npz``, IDX, zip or folder of images, checked; ``library``: the uploads stored in a
  run store (content-addressed), listed and loaded by name;
- ``noise``: Gaussian, salt-and-pepper, masking and block corruption (TensorFlow).

May import ``settings``, ``errors`` and ``tensorflow_runtime``.
"""
