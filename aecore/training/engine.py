"""The training engine: one job trains one model and publishes what a live view needs.

A ``TrainingJob`` runs in a background thread (see ``aecore.jobs``) and talks to the outside
world only through its own lock-protected state: ``snapshot()`` hands out copies of plain
numpy data, ``request_stop()`` sets an event checked after every call of training steps
(about every ``STEPS_CALL_SECONDS``); pressed between calls (an epoch's validation, a preview), it is
published at once, since no batch trains after it. Nothing here knows about Streamlit.

Speed: up to ``MAX_STEPS_PER_CALL`` of the model's own steps run in one compiled loop (no Keras
``fit`` machinery, no Python between them), gathering their batches by shuffled index from one
tensor per dataset (``aecore.training.steps``); previews call the networks inside ``tf.function`` too.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import numpy as np

from aecore.data.dataset import Dataset, batches_per_epoch
from aecore.data.registry import load_dataset
from aecore.errors import AecoreError
from aecore.models.base import Autoencoder
from aecore.models.build import build_model, seeded
from aecore.runs.checkpoints import restore_checkpoint
from aecore.runs.folder import History, RunFolder
from aecore.runs.recorder import RunOutcome, RunRecorder, untrained_outcome
from aecore.runs.snapshots import FAILED, FINISHED, RUNNING, STOPPED, Series, Snapshot
from aecore.settings.config import RunConfig
from aecore.settings.live import LiveChange, checked_change
from aecore.settings.validation import validate
from aecore.tensorflow_runtime import tf
from aecore.training import pacing
from aecore.training.devices import resolve_device
from aecore.training.evaluation import evaluate, make_preview, refresh_probe
from aecore.training.live_state import Cursor, JobState, new_job_id
from aecore.training.steps import MAX_STEPS_PER_CALL, Compiled, EpochTrainer, dataset_tensor, validation_inputs

LOG = logging.getLogger(__name__)

#: a live preview is published at the end of every epoch, and at least this often within one
PREVIEW_INTERVAL_SECONDS = 5.0
#: about how long one call of training steps may take: Stop is checked and the live chart gets points this often
STEPS_CALL_SECONDS = 0.25


class TrainingJob:
    """Trains one model in the thread that calls ``run``; any thread may read ``snapshot``.

    With a ``recorder`` the run is saved in its run folder as it trains (``aecore.runs``); with ``resume_from``
    (that same folder) it continues from the folder's last checkpoint: weights, optimiser state and history.
    """

    def __init__(
        self,
        config: RunConfig,
        recorder: RunRecorder | None = None,
        resume_from: RunFolder | None = None,
        unsaved_reason: str | None = None,
    ) -> None:
        self.config = validate(config)
        self.job_id = new_job_id()
        self.recorder = recorder
        self.run_id = recorder.run_id if recorder is not None else f"unsaved-{self.job_id}"
        self.resume_from = resume_from
        self.unsaved_reason = unsaved_reason
        self._trained_batches = 0  # by this job (a resumed run's earlier batches are not counted)
        self._stepping = False  # a call of training steps is under way (guarded by ``_lock``)
        self._epochs_over = False  # no epoch loop any more: the run only finishes (guarded by ``_lock``)
        self._steps_per_call = 1  # grows to what fits STEPS_CALL_SECONDS once the steps are compiled
        self.stop_event = threading.Event()
        self._pacer = pacing.Pacer(self.stop_event, pacing.PAUSE_LIMIT_SECONDS)
        self._pending_changes: list[tuple[str, float]] = []  # live changes for the next call (guarded by _lock)
        self.model: Autoencoder | None = None
        self._finite_weights: list[np.ndarray] | None = None  # the weights at the last finite epoch end
        self._validation_inputs: tf.Tensor | None = None  # the validation images, corrupted once
        self._lock = threading.Lock()
        self._state = JobState(device=self.config.training.device.upper())  # until the device is resolved

    # ---- what other threads call ----------------------------------------------------------
    def request_stop(self) -> None:
        """Stop after the steps being run (within about ``STEPS_CALL_SECONDS``); the model is kept.

        Between two calls of steps (an epoch's validation or preview, the first compile) no batch will train
        again, so the run says it stopped at once instead of after that work.
        """
        with self._lock:
            self.stop_event.set()
            if self._state.status == RUNNING and not self._stepping and not self._epochs_over:
                self._publish_stop_locked()
        self._pacer.wake()  # a paused or slow loop waits on the pacer: it looks again at once

    def pause(self) -> None:
        """Hold the run after the steps under way; it keeps its training slot (``step`` trains one batch)."""
        self._pacer.pause()
        self._update(paused=True)

    def resume(self) -> None:
        self._pacer.resume()
        self._update(paused=False)

    def step(self) -> None:
        """Train one batch of a paused run."""
        self._pacer.step()

    def set_pace(self, batches_per_second: float) -> None:
        """Slow motion: 1 to ``pacing.MAX_PACE`` batches a second, or 0 for full speed."""
        self._pacer.set_pace(batches_per_second)
        self._update(pace=self._pacer.pace)

    def change_setting(self, name: str, value: float) -> None:
        """Change a setting from the next call of steps on (``aecore.settings.live``; raises ``AecoreError``)."""
        value = checked_change(self.config, name, value)
        with self._lock:
            self._pending_changes.append((name, value))

    def _apply_live_changes(self) -> None:
        """The settings changed since the last call, assigned between two calls and recorded from the next batch."""
        with self._lock:
            pending, self._pending_changes = self._pending_changes, []
        for name, value in pending:
            old = float(f"{self.model.live_value(name):.6g}")  # the float32 variable, as the person typed it
            if old == value:
                continue
            self.model.set_live(name, value)
            with self._lock:
                self._state.live_changes.append(LiveChange(self._state.batch_count + 1, name, old, value))

    def _publish_stop_locked(self) -> str:
        """Mark the training as stopped, with where it stopped; the caller holds ``_lock``."""
        state = self._state
        if not state.training_stopped:
            within = f"during epoch {state.epoch + 1}"
            if state.batches_per_epoch and state.batch >= state.batches_per_epoch:
                within = f"after epoch {state.epoch + 1}"
            state.training_stopped = True
            state.message = f"Stopped {within}; the model trained so far is kept."
            if self._pacer.timed_out:
                state.message = (
                    f"Stopped {within}, paused for over {self._pacer.limit_minutes:g} minutes; the model trained so "
                    "far is kept: resume it from the Runs page."
                )
        return state.message

    def _stopped(self) -> str:
        with self._lock:
            return self._publish_stop_locked()

    def cancel(self) -> None:
        """End a job that was stopped while it waited in the queue."""
        self._end(STOPPED, "Stopped before it started.")

    @property
    def status(self) -> str:
        with self._lock:
            return self._state.status

    @property
    def store_error(self) -> str | None:
        """Why the run is not saved in the store (None while it is)."""
        return self.unsaved_reason if self.recorder is None else self.recorder.error

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._current_state_locked().snapshot(self.run_id, self.job_id, self.config)

    def changes_since(self, cursor: Cursor) -> tuple[Cursor, dict[str, Any]]:
        """What a mirror of this job in another process lacks (``aecore.training.live_state``)."""
        with self._lock:
            return self._current_state_locked().changes_since(cursor)

    def _current_state_locked(self) -> JobState:
        """The live state with what others keep: the recorder's store error, whether the pacer holds the loop."""
        self._state.store_error, self._state.held = self.store_error, self._pacer.held
        return self._state

    # ---- the training thread --------------------------------------------------------------
    def _update(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._state, name, value)

    def history(self) -> History:
        with self._lock:
            terms = {name: series.view() for name, series in self._state.batch_terms.items()}
            records = [dict(record) for record in self._state.epoch_history]
            return History(terms, records, list(self._state.live_changes))

    def run(self) -> None:
        """Train to the end, to a stop, or to a failure; never raises, the snapshot tells."""
        if self.stop_event.is_set():  # stopped while a worker was already taking it off the queue
            self.cancel()
            return
        self._update(status=RUNNING, started=time.perf_counter())
        try:
            outcome = self._train()
        except AecoreError as error:
            outcome = (FAILED, str(error))
        except tf.errors.ResourceExhaustedError:
            outcome = (FAILED, "Out of memory: lower the batch size or the layer widths, or choose another device.")
        except Exception as error:  # a failed job must never take the server down
            LOG.exception("job %s failed", self.job_id)
            outcome = (
                FAILED,
                f"Training failed unexpectedly ({type(error).__name__}); the server log has the details. "
                "Try other settings, and tell the people who run this server.",
            )
        if outcome[0] == FAILED and self._finite_weights is not None:
            self.model.set_weights(self._finite_weights)  # the model stays usable: its last finite epoch
        self._end(*outcome)

    def _end(self, status: str, message: str) -> None:
        """Save the result in the run folder, then publish the end (a page that sees it can read the folder)."""
        ended = time.perf_counter()
        if self.recorder is not None:
            if self._trained_batches:
                with self._lock:
                    preview, metrics = self._state.preview, self._state.test_metrics
                    epochs_done = len(self._state.epoch_history)
                outcome = RunOutcome(True, self.model, self.history(), preview, metrics, epochs_done, time.time())
            else:
                outcome = untrained_outcome(self.config, self.resume_from, self.history())
            self.recorder.ended(status, message, outcome)
        self._update(status=status, message=message, ended=ended)

    def _resume(self) -> int:
        """Load the checkpoint and the history it belongs to; returns the epochs already done."""
        from aecore.runs.folder import CHECKPOINT_FILE, read_npz

        done = restore_checkpoint(self.model, read_npz(self.resume_from.file(CHECKPOINT_FILE)))
        history = self.resume_from.history().truncated(done)
        terms = {name: Series(values) for name, values in history.batch_terms.items()}
        for name in self.model.loss_term_names:  # a term added since the run was saved: no values before now
            terms.setdefault(name, Series(np.full(history.batch_count, np.nan)))
        for change in history.live_changes:  # the settings in force at the end: the run goes on with them
            self.model.set_live(change.name, change.new)
        with self._lock:
            self._state.batch_terms = terms
            self._state.epoch_history = list(history.epochs)
            self._state.live_changes = list(history.live_changes)
        return done

    def _train(self) -> tuple[str, str]:
        config = self.config
        dataset = load_dataset(config.dataset)
        placement = resolve_device(config.training.device)
        self._update(device=placement.label)
        batch_size = config.training.batch_size
        with seeded(config.training.seed), placement.scope():
            self.model = build_model(config, dataset.image_shape)
            compiled = Compiled(self.model, placement)
        first_epoch = self._resume() if self.resume_from is not None else 0
        with seeded(config.training.seed), placement.scope():  # a resumed run shuffles anew, not epoch 1's order
            train_images = dataset_tensor(dataset, "train")
            training_epochs = compiled.training_epochs(train_images, batch_size, config.training.seed + first_epoch)
        self._finite_weights = self.model.get_weights()
        per_epoch = batches_per_epoch(len(dataset.x_train), batch_size)
        self._update(batches_per_epoch=per_epoch, epoch=first_epoch)
        if self.recorder is not None:
            self.recorder.started(self.model, config, placement.label, per_epoch, first_epoch)
        try:
            outcome = (FINISHED, "")
            for epoch in range(first_epoch, config.training.epochs):
                if epoch > first_epoch and self.stop_event.is_set():  # pressed during the last epoch's end
                    outcome = (STOPPED, self._stopped())  # whose preview shows the model as it is
                    break
                self._update(epoch=epoch, batch=0)
                finished_epoch, failure = self._train_epoch(compiled, next(training_epochs), dataset, epoch)
                if failure:
                    outcome = (FAILED, failure)
                    break
                if not finished_epoch:
                    # no validation for a part of an epoch: Stop answers at once, the history has no half epochs; the
                    # page says "stopped" now, while the preview, the test metrics and the files are made
                    outcome = (STOPPED, self._stopped())
                    done = epoch + self._state.batch / self._state.batches_per_epoch
                    self._update(preview=make_preview(compiled, dataset, config, done))
                    break
                self._finish_epoch(compiled, dataset, epoch + 1.0)
                self._finite_weights = self.model.get_weights()
                if self.recorder is not None:
                    self.recorder.epoch_ended(self.model, self.history(), self._state.preview, epoch + 1)
            with self._lock:
                self._epochs_over = True
            if outcome[0] != FAILED:
                self._update(test_metrics=evaluate(compiled, dataset, config))
        finally:  # a worker clears Keras' session after each run: never under the compiler thread
            compiled.wait_compiled()
        return outcome

    def _train_epoch(self, compiled: Compiled, train: EpochTrainer, dataset: Dataset, epoch: int) -> tuple[bool, str]:
        """One pass, a run of steps per call; returns (completed, failure message)."""
        for tracker in self.model.metrics:
            tracker.reset_state()
        last_preview = time.perf_counter()
        images_per_batch = min(self.config.training.batch_size, len(dataset.x_train))
        per_epoch = self._state.batches_per_epoch
        done = 0
        while done < per_epoch:
            wanted = self._pacer.steps_now(self._steps_per_call)  # waits while paused or between slow batches
            with self._lock:
                if wanted == 0 or self.stop_event.is_set():
                    return False, ""
                self._stepping = True
            self._apply_live_changes()
            slow = self._pacer.slow
            started = time.perf_counter()
            terms = train(done, min(per_epoch, done + wanted))
            seconds = time.perf_counter() - started
            steps = len(next(iter(terms.values())))
            finite = np.logical_and.reduce([np.isfinite(values) for values in terms.values()])
            if not finite.all():  # the history ends at the first bad batch
                steps = int(np.argmin(finite)) + 1
                terms = {name: values[:steps] for name, values in terms.items()}
            self._trained_batches += steps
            done += steps
            if not slow:  # one batch a call says nothing of how many fit in a quarter of a second
                self._steps_per_call = max(1, min(MAX_STEPS_PER_CALL, int(STEPS_CALL_SECONDS * steps / seconds)))
            with self._lock:
                state = self._state
                for name, values in terms.items():
                    state.batch_terms.setdefault(name, Series()).extend(values)
                state.batch = done
                state.last_batch_at = time.time()
                self._stepping = False
                state.train_seconds += seconds  # the steps and their batches, not the previews
                state.samples_seen += steps * images_per_batch
            if not finite.all():
                bad = {name: values[-1] for name, values in terms.items() if not math.isfinite(values[-1])}
                return False, (
                    f"The loss became {next(iter(bad.values()))} ({', '.join(bad)}) at epoch {epoch + 1}, "
                    f"batch {done}. Lower the learning rate (now {self.config.training.learning_rate:g}) or the "
                    "penalty weights."
                )
            if slow:  # a class watching batch by batch sees each one change the reconstructions
                with self._lock:
                    preview = self._state.preview
                self._update(preview=refresh_probe(compiled, dataset, self.config, preview, epoch + done / per_epoch))
            elif time.perf_counter() - last_preview > PREVIEW_INTERVAL_SECONDS:
                self._update(preview=make_preview(compiled, dataset, self.config, epoch + done / per_epoch))
                last_preview = time.perf_counter()
        return True, ""

    def _finish_epoch(self, compiled: Compiled, dataset: Dataset, epoch: float) -> None:
        """Validation losses, the epoch's record and a fresh preview."""
        train_means = {f"train_{name}": float(tracker.result()) for name, tracker in self.model.term_trackers.items()}
        clean = dataset_tensor(dataset, "val")
        if self._validation_inputs is None:
            self._validation_inputs = validation_inputs(dataset, self.config, clean)
        record = {"epoch": epoch, **train_means}
        validation = compiled.validation_means(self._validation_inputs, clean)
        record.update({f"val_{name}": value for name, value in validation.items()})
        with self._lock:
            record["batches"] = self._state.batch_count
            record["seconds"] = self._state.train_seconds - self._state.seconds_before_epoch
            self._state.seconds_before_epoch = self._state.train_seconds
            self._state.epoch_history.append(record)
        self._update(preview=make_preview(compiled, dataset, self.config, epoch))
