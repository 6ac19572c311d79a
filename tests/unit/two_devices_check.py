"""Run one model on the CPU split into two logical devices under ``MirroredStrategy`` and on one device.

Run as a script by the tests (the split must happen before TensorFlow starts, so not inside pytest's process):
``python two_devices_check.py``; prints one JSON object: the validation means of both on a set whose last batch
has one image (one replica sees none), and how far one training step moved the weights apart.
"""

import json

import numpy as np
import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2
)

from aecore.data.registry import load_dataset  # noqa: E402
from aecore.models.build import build_model, seeded  # noqa: E402
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig  # noqa: E402
from aecore.settings.validation import validate  # noqa: E402
from aecore.training.devices import Placement  # noqa: E402
from aecore.training.steps import VALIDATION_BATCH, Compiled  # noqa: E402

CONFIG = validate(
    RunConfig(
        model=ModelConfig(variant="sparse", hidden=(), latent_dim=8),
        training=TrainingConfig(batch_size=32, xla=False, seed=5),
    )
)
PLACEMENTS = {
    "one": Placement("CPU", "/CPU:0"),
    "two": Placement("2 CPUs", "/CPU:0", tf.distribute.MirroredStrategy(["/CPU:0", "/CPU:1"])),
}


def run(placement: Placement, train: np.ndarray, val: np.ndarray) -> tuple[dict[str, float], list[np.ndarray]]:
    with seeded(CONFIG.training.seed), placement.scope():
        model = build_model(CONFIG, train.shape[1:])
        compiled = Compiled(model, placement)
    means = compiled.validation_means(tf.constant(val), tf.constant(val))
    first_epoch = next(compiled.training_epochs(tf.constant(train[:32]), 32, CONFIG.training.seed))
    first_epoch(0, 1)  # one step on one batch of 32: eagerly on one device, the replicated step on two
    return means, [w.copy() for w in model.get_weights()]


dataset = load_dataset("mnist-5k")
validation = dataset.x_val[: VALIDATION_BATCH + 1]
results = {name: run(placement, dataset.x_train, validation) for name, placement in PLACEMENTS.items()}
print(
    json.dumps(
        {
            "replicas": PLACEMENTS["two"].strategy.num_replicas_in_sync,
            "validation": {name: means for name, (means, _) in results.items()},
            "largest_weight_difference": max(
                float(np.max(np.abs(a - b))) for a, b in zip(results["one"][1], results["two"][1], strict=True)
            ),
        }
    )
)
