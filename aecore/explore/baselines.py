"""What a loss means: the losses of two models anyone can build, drawn beside a run's loss curve.

A student who reads "loss 0.031" cannot tell whether it is good. Two references for the same dataset, loss and
batch reduction answer that: the model that ignores its input and outputs the average training image (a model
that learned nothing sits there), and PCA with as many components as the run's code (the best linear
autoencoder of that size under squared error). Both are measured on the training images, as the per-batch loss
is, with the run's own loss function (``aecore.models.losses``), and computed once per process.
"""

from __future__ import annotations

import functools

import numpy as np

from aecore.data.registry import load_dataset
from aecore.models import losses

#: a likelihood loss needs outputs strictly inside (0, 1): PCA's may leave it
PROBABILITY_MARGIN = 1e-4


@functools.lru_cache(maxsize=32)
def reference_losses(dataset: str, loss: str, reduction: str, batch_size: int, code_size: int) -> dict[str, float]:
    """``{"mean image": …, "PCA, k components": …}``: each reference's loss on the training images, per image
    (times the batch size for a run that sums its loss over the batch, as its curve does)."""
    from sklearn.decomposition import PCA

    images = load_dataset(dataset).x_train
    flat = images.reshape(len(images), -1).astype(np.float64)
    components = min(code_size, *flat.shape)
    pca = PCA(components, random_state=0).fit(flat)
    outputs = {
        "mean image": np.broadcast_to(flat.mean(axis=0), flat.shape),
        f"PCA, {components} components": pca.inverse_transform(pca.transform(flat)),
    }
    scale = float(batch_size) if reduction == "sum" else 1.0
    references = {}
    for name, output in outputs.items():
        if loss in ("bce", "cb"):
            output = np.clip(output, PROBABILITY_MARGIN, 1 - PROBABILITY_MARGIN)
        rebuilt = output.reshape(images.shape).astype(np.float32)
        references[name] = scale * float(losses.RECONSTRUCTION[loss](images.astype(np.float32), rebuilt))
    return references
