"""What a run shows the outside world, as plain numpy data: its snapshot, its preview, and how both are stored.

A live job hands out ``Snapshot``s from memory; an ended run's snapshot is read back from its folder
(``aecore.runs.view``), so a page draws both the same way and never needs the job that trained the run.
No TensorFlow here: the Runs page and the CLI's listings stay quick to open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aecore.analysis.traversals import Traversal
from aecore.settings.config import RunConfig
from aecore.settings.live import LiveChange

QUEUED, RUNNING, FINISHED, STOPPED, FAILED, INTERRUPTED = (
    "queued",
    "running",
    "finished",
    "stopped",
    "failed",
    "interrupted",
)
ACTIVE = (QUEUED, RUNNING)
ENDED = (FINISHED, STOPPED, FAILED, INTERRUPTED)
STATUSES = (*ACTIVE, *ENDED)
#: each status as a person reads it: the pages, the sidebar and the Runs table show these words
STATUS_LABELS = {
    QUEUED: "waiting in the queue",
    RUNNING: "training",
    FINISHED: "finished",
    STOPPED: "stopped",
    FAILED: "failed",
    INTERRUPTED: "interrupted",
}


@dataclass(frozen=True)
class Preview:
    """What the live view draws between epochs; images are small uint8 arrays, not figures.

    ``code_points`` are the codes of validation images ready for a 2-D scatter: the code itself when it has
    at most 2 dimensions, else its first two principal components (computed once per preview by the job, not
    once per tab), with ``code_axes`` naming the axes.
    """

    epoch: float
    probe_clean: np.ndarray
    probe_noisy: np.ndarray | None
    probe_reconstruction: np.ndarray
    code_points: np.ndarray
    code_labels: np.ndarray
    code_axes: tuple[str, str]
    code_size: int
    mean_activation: np.ndarray
    kl_per_dimension: np.ndarray | None
    traversal: Traversal
    manifold: np.ndarray | None

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            "epoch": np.array(self.epoch),
            "probe_clean": self.probe_clean,
            "probe_reconstruction": self.probe_reconstruction,
            "code_points": self.code_points,
            "code_labels": self.code_labels,
            "code_axes": np.array(self.code_axes),
            "code_size": np.array(self.code_size),
            "mean_activation": self.mean_activation,
            "traversal_images": self.traversal.images,
            "traversal_offsets": self.traversal.offsets,
            "traversal_dims": self.traversal.dims,
        }
        optional = {
            "probe_noisy": self.probe_noisy,
            "kl_per_dimension": self.kl_per_dimension,
            "manifold": self.manifold,
        }
        arrays.update({name: value for name, value in optional.items() if value is not None})
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Preview:
        return cls(
            epoch=float(arrays["epoch"]),
            probe_clean=arrays["probe_clean"],
            probe_noisy=arrays.get("probe_noisy"),
            probe_reconstruction=arrays["probe_reconstruction"],
            code_points=arrays["code_points"],
            code_labels=arrays["code_labels"],
            code_axes=tuple(str(axis) for axis in arrays["code_axes"]),
            code_size=int(arrays["code_size"]),
            mean_activation=arrays["mean_activation"],
            kl_per_dimension=arrays.get("kl_per_dimension"),
            traversal=Traversal(arrays["traversal_images"], arrays["traversal_offsets"], arrays["traversal_dims"]),
            manifold=arrays.get("manifold"),
        )


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a run's state, safe to read from any thread.

    ``store_error`` says why the run is not (or no longer) being saved in the run store, when that happens:
    the run trains on and its results stay downloadable from the page.
    """

    run_id: str
    job_id: int | None
    status: str
    message: str
    config: RunConfig
    device: str
    epoch: int
    batch: int
    batches_per_epoch: int
    elapsed_seconds: float
    samples_per_second: float
    batch_steps: np.ndarray
    batch_terms: dict[str, np.ndarray]
    epoch_history: list[dict[str, float]]
    preview: Preview | None
    test_metrics: dict[str, float] | None
    queue_position: int | None = None
    estimated_wait_seconds: float | None = None
    store_error: str | None = None
    #: when its last batch ended (``time.time``), None before the first
    last_batch_at: float | None = None
    #: a Stop took effect and the run's end is being saved: "stopped" to a person, not yet to the store
    training_stopped: bool = False
    #: held by Pause (Step trains one batch at a time); ``pace``: batches a second in slow motion, 0 at full speed
    paused: bool = False
    #: the pause has taken effect: the batches under way when Pause came have trained, and a Step trains one
    held: bool = False
    pace: float = 0.0
    #: settings changed while it trained (``aecore.settings.live``): its config alone no longer describes it
    live_changes: list[LiveChange] = field(default_factory=list)
    #: a finished run whose codes are being laid out for the Latent space page: (fraction done, what it does now)
    laying_out: tuple[float, str] | None = None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def progress(self) -> float:
        """Fraction of all batches done, in [0, 1]."""
        total = self.config.training.epochs * max(self.batches_per_epoch, 1)
        return min(1.0, (self.epoch * self.batches_per_epoch + self.batch) / total)


class Series:
    """A growing float series whose filled part is handed out as a read-only view, without copying.

    Every open tab asks for a snapshot about once a second; with a million batches a copy of the whole
    history under the job's lock would stall the training thread each time.
    """

    def __init__(self, initial: np.ndarray | None = None) -> None:
        start = np.asarray(initial if initial is not None else (), dtype=np.float64)
        self._values = np.empty(max(1024, 2 * len(start)))
        self._values[: len(start)] = start
        self._size = len(start)

    def __len__(self) -> int:
        return self._size

    def append(self, value: float) -> None:
        if self._size == len(self._values):  # a new array: views handed out earlier keep the old one
            self._values = np.concatenate([self._values, np.empty(len(self._values))])
        self._values[self._size] = value
        self._size += 1

    def extend(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        size = self._size + len(values)
        if size > len(self._values):  # a new array, as in ``append``
            grown = np.empty(max(size, 2 * len(self._values)))
            grown[: self._size] = self._values[: self._size]
            self._values = grown
        self._values[self._size : size] = values
        self._size = size

    def view(self) -> np.ndarray:
        values = self._values[: self._size].view()
        values.setflags(write=False)
        return values
