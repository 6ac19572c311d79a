"""The training job's side of the store: it writes the run folder as the run goes.

At each epoch end, in this order: the TensorBoard events, the history, the checkpoint (weights and optimiser
state), the preview and ``run.json``; each file atomically. The history is written before the checkpoint, so
after a crash it holds at least the checkpoint's epochs, and a resume cuts it back to them. When the run ends:
metrics, ``model.keras``, the thumbnail and the final status, then the lock is released.

A write that fails (full disk, read-only folder) is reported once in ``error`` and the run trains on without
the store: a person loses the saving, never the run in front of them.

TensorBoard events are written by a thread of the recorder's own while the next epoch trains: writing every
batch's terms takes tens of milliseconds per epoch, which the training thread would otherwise wait for.
"""

from __future__ import annotations

import io
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from aecore.errors import AecoreError
from aecore.models.base import Autoencoder
from aecore.runs.checkpoints import checkpoint_bytes, save_plain_model
from aecore.runs.folder import (
    CHECKPOINT_FILE,
    METRICS_FILE,
    PREVIEW_FILE,
    TENSORBOARD_DIR,
    THUMBNAIL_FILE,
    History,
    RunFolder,
    RunLock,
    npz_bytes,
    sync_folder,
    write_atomically,
)
from aecore.runs.snapshots import Preview
from aecore.runs.store import RunStore, storing
from aecore.settings.config import RunConfig
from aecore.tensorflow_runtime import tf

LOG = logging.getLogger(__name__)


def _write_series(name: str, first_step: tf.Tensor, values: tf.Tensor) -> None:
    """Every value of one per-batch series as a TensorBoard scalar; wrapped in a ``tf.function`` per run, one graph
    call writes a whole epoch (a graph captures the run's writer, so it is never shared between runs).

    ``tf.summary.write`` with the scalar plugin's metadata is what ``tf.summary.scalar`` does, minus the name
    scope: inside the loop that scope would file every tag under ``while/``.
    """
    from tensorboard.plugins.scalar import metadata

    scalar = metadata.create_summary_metadata(display_name=name, description="")
    for index in tf.range(tf.size(values, out_type=tf.int64)):
        tf.summary.write(name, values[index], step=first_step + index, metadata=scalar)


def probe_grid(preview: Preview, count: int = 8) -> np.ndarray:
    """Clean over reconstructed probe images (noisy input between them when there is noise), as one uint8 image."""
    rows = [preview.probe_clean[:count]]
    if preview.probe_noisy is not None:
        rows.append(preview.probe_noisy[:count])
    rows.append(preview.probe_reconstruction[:count])
    return np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)


def thumbnail_png(preview: Preview) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(probe_grid(preview)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class RunOutcome:
    """What a job ended with, for the recorder: ``trained`` says whether this job trained at least one batch."""

    trained: bool
    model: Autoencoder | None
    history: History
    preview: Preview | None
    metrics: dict[str, float] | None
    epochs_done: int
    ended_at: float
    restored_config: RunConfig | None = None


def untrained_outcome(config: Any, resume_from: RunFolder | None, history: History) -> RunOutcome:
    """What a job that trained nothing ends with: a resumed run keeps its checkpoint's epochs and the config it
    had before the resume asked for more."""
    if resume_from is None:
        return RunOutcome(False, None, history, None, None, len(history.epochs), time.time())
    done = resume_from.checkpoint_epochs() or 0
    restored = config.with_changes(training={"epochs": max(done, 1)})
    return RunOutcome(False, None, history, None, None, done, time.time(), restored)


class RunRecorder:
    """Keeps one run folder up to date while a job trains; ``store`` None writes a standalone folder (``--out``)."""

    def __init__(self, folder: RunFolder, lock: RunLock | None, store: RunStore | None = None) -> None:
        self.folder = folder
        self.store = store
        self.error: str | None = None
        self._lock = lock
        self._writer: Any = None
        self._tensorboard = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aecore-tensorboard")
        self._tensorboard_pending: Future | None = None
        self._write_series = tf.function(_write_series, reduce_retracing=True)
        self._batches_logged = 0

    @property
    def run_id(self) -> str:
        return self.folder.run_id

    def _guarded(self, what: str, action: Any) -> None:
        """Run one write; the first failure is kept as ``error`` and every later write is skipped."""
        if self.error is not None:
            return
        try:
            with storing(self.folder.path.parent, what):
                action()
        except AecoreError as error:
            self.error = f"This run is no longer being saved. {error}"
        except Exception as error:  # TensorFlow's or Keras' own errors on a failing disk: the run trains on
            LOG.exception("saving run %s failed", self.run_id)
            self.error = f"This run is no longer being saved: could not {what} ({type(error).__name__}: {error})."

    def _save(self, config: Any = None, **meta: Any) -> None:
        if self.store is not None:
            self.store.save(self.folder, config, **meta)
        else:
            if config is not None:
                self.folder.write_config(config)
            self.folder.update_meta(**meta)

    # ---- what the job calls -----------------------------------------------------------------------
    def started(self, model: Any, config: Any, device: str, batches_per_epoch: int, epochs_done: int) -> None:
        def write() -> None:
            self._writer = tf.summary.create_file_writer(str(self.folder.file(TENSORBOARD_DIR)))
            self._save(
                config,
                status="running",
                message="",
                started=time.time(),
                ended=None,
                device=device,
                image_shape=list(model.image_shape),
                batches_per_epoch=batches_per_epoch,
                layer_table=model.layer_table(),
                epochs_done=epochs_done,
            )

        self._guarded("start the run", write)

    def epoch_ended(self, model: Any, history: History, preview: Preview, epochs_done: int) -> None:
        def write() -> None:
            self._wait_for_tensorboard()
            self._tensorboard_pending = self._tensorboard.submit(self._log_to_tensorboard, history, preview)
            self.folder.write_history(history)
            write_atomically(self.folder.file(CHECKPOINT_FILE), checkpoint_bytes(model, epochs_done))
            write_atomically(self.folder.file(PREVIEW_FILE), npz_bytes(preview.to_arrays()))
            self._save(epochs_done=epochs_done)
            sync_folder(self.folder.path)  # the epoch's renames survive a power cut, not only a killed process

        self._guarded(f"save epoch {epochs_done}", write)

    def ended(
        self,
        status: str,
        message: str,
        outcome: RunOutcome,
    ) -> None:
        """Save what the run ended with and release its lock (always, even when saving failed).

        The checkpoint is never rewritten here: it stays the last epoch end's, so a run stopped mid-epoch or
        failed on a NaN resumes from whole, finite epochs. ``model.keras`` holds the model as it ended (the
        part-trained one after a Stop). A job that trained nothing (stopped while queued, failed to start, a
        resume that could not load) leaves the run's files as they were and restores its config.
        """

        def write() -> None:
            self._wait_for_tensorboard()
            if outcome.trained:
                self.folder.write_history(outcome.history)
                save_plain_model(outcome.model, self.folder)
                if outcome.preview is not None:
                    write_atomically(self.folder.file(PREVIEW_FILE), npz_bytes(outcome.preview.to_arrays()))
                    write_atomically(self.folder.file(THUMBNAIL_FILE), thumbnail_png(outcome.preview))
                if outcome.metrics:
                    self.folder.write_json(METRICS_FILE, outcome.metrics)
            self._save(
                outcome.restored_config,
                status=status,
                message=message,
                ended=outcome.ended_at,
                epochs_done=outcome.epochs_done,
            )

        try:
            self._guarded("save the run's result", write)
        finally:
            try:
                self._tensorboard.shutdown(wait=True)
                if self._writer is not None:
                    self._writer.close()
            except Exception:  # a full disk can fail the last flush; the lock must still go
                LOG.exception("closing the TensorBoard writer of run %s failed", self.run_id)
            finally:
                if self._lock is not None:
                    self._lock.release()

    def _wait_for_tensorboard(self) -> None:
        """Let the previous epoch's events finish; a failure there (a full disk) is raised here, in a write."""
        if self._tensorboard_pending is not None:
            pending, self._tensorboard_pending = self._tensorboard_pending, None
            pending.result()

    def _log_to_tensorboard(self, history: History, preview: Preview) -> None:
        """This epoch's batches, its train / validation record and the probe grid, as TensorBoard events."""
        if self._writer is None:
            return
        record = history.epochs[-1]
        epoch = int(round(record["epoch"]))
        with self._writer.as_default():
            for name, values in history.batch_terms.items():
                fresh = np.asarray(values[self._batches_logged :], dtype=np.float32)
                if fresh.size:
                    self._write_series(f"batch/{name}", tf.constant(self._batches_logged + 1, tf.int64), fresh)
            for key, value in record.items():
                if key.startswith(("train_", "val_")):
                    split, term = key.split("_", 1)
                    tf.summary.scalar(f"epoch_{term}/{split}", value, step=epoch)
            grid = probe_grid(preview)
            tf.summary.image("probe/clean_over_reconstruction", grid[None, :, :, None], step=epoch)
        self._writer.flush()
        self._batches_logged = history.batch_count
