"""Where a run trains: the CPU, one GPU, or every GPU with a mirrored strategy."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from aecore.errors import AecoreError
from aecore.tensorflow_runtime import tf


@dataclass(frozen=True)
class DeviceChoice:
    """One entry of the device picker: ``value`` is what a config's ``training.device`` holds."""

    value: str
    label: str


@dataclass(frozen=True)
class Placement:
    """A resolved device: a TF device string, or a strategy that spans several GPUs."""

    label: str
    device: str
    strategy: tf.distribute.Strategy | None = None

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        if self.strategy is not None:
            with self.strategy.scope():
                yield
        else:
            with tf.device(self.device):
                yield


def _gpu_names() -> list[str]:
    return [gpu.name.replace("/physical_device:", "") for gpu in tf.config.list_physical_devices("GPU")]


def available_devices() -> list[DeviceChoice]:
    """Every device TensorFlow sees: the CPU, each GPU, and all GPUs together when there are several."""
    choices = [DeviceChoice("cpu", "CPU")]
    gpus = _gpu_names()
    choices += [DeviceChoice(f"gpu:{index}", f"GPU {index}") for index in range(len(gpus))]
    if len(gpus) > 1:
        choices.append(DeviceChoice("all", f"All {len(gpus)} GPUs (mirrored)"))
    return choices


def resolve_device(value: str) -> Placement:
    """The placement for ``cpu``, ``gpu`` (the first GPU), ``gpu:N`` or ``all``; a clear error if absent."""
    if value == "cpu":
        return Placement("CPU", "/CPU:0")
    gpus = _gpu_names()
    existing = ", ".join(["CPU:0", *gpus])
    if not gpus:
        raise AecoreError(
            f"No GPU is visible to TensorFlow on this machine (devices: {existing}); choose the device 'cpu'."
        )
    if value == "all":
        if len(gpus) == 1:
            return Placement("GPU 0", "/GPU:0")
        return Placement(f"All {len(gpus)} GPUs", "/GPU:0", tf.distribute.MirroredStrategy())
    index = 0 if value == "gpu" else int(value.split(":")[1])
    if index >= len(gpus):
        raise AecoreError(f"There is no GPU {index} (devices: {existing}); choose one of those.")
    return Placement(f"GPU {index}", f"/GPU:{index}")
