"""One run's folder: the files that are the truth about a run, written atomically, read without TensorFlow.

``run.json`` (name, tags, status, times, epochs done), ``config.json``, ``history.npz`` (every batch's
terms and every epoch's record), ``metrics.json``, ``preview.npz`` (the last probe grid, codes, traversal),
``checkpoint.npz`` (weights and optimiser state at the last epoch end), ``model.keras`` (a plain Keras
model), ``thumbnail.png`` and ``tensorboard/``. Every file is written under a temporary name and renamed,
so a process killed at any moment leaves the previous version whole. ``.lock`` is held (``flock``) by the
process that owns the run while it waits or trains: a run marked running whose lock is free was interrupted.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from aecore.errors import AecoreError
from aecore.settings.config import RunConfig
from aecore.settings.live import LiveChange

#: the layout of a run folder: 2 since runs record their version (older folders, without it, count as 1)
STORE_FORMAT = 2
RUN_FILE, CONFIG_FILE, HISTORY_FILE, METRICS_FILE = "run.json", "config.json", "history.npz", "metrics.json"
PREVIEW_FILE, CHECKPOINT_FILE, MODEL_FILE, THUMBNAIL_FILE = (
    "preview.npz",
    "checkpoint.npz",
    "model.keras",
    "thumbnail.png",
)
TENSORBOARD_DIR, LOCK_FILE, META_LOCK_FILE = "tensorboard", ".lock", ".meta.lock"

#: a run id is a plain folder name: no separators, no dots, so it can never name a path outside the store
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def new_run_id() -> str:
    """``20261125-101530-3fa9c1``: sorts by creation time, unique without a central counter."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or RUN_ID_PATTERN.fullmatch(run_id) is None:
        raise AecoreError(
            f"'{run_id}' is not a run id: ids are letters, digits, '-' and '_' (see `python -m aecore runs list`)."
        )
    return run_id


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` under a temporary name in the same folder, flushed to the disk, then rename it over ``path``:
    after a power cut ``path`` holds the old data or the new, never a torn file (``sync_folder`` makes the rename
    itself last)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def sync_folder(path: Path) -> None:
    """Flush a folder's entries (the renames into it) to the disk: what a power cut would otherwise lose."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


# ---------------------------------------------------------------------------------------------
# History: per-batch series and per-epoch records, as columns


def validation_points(epochs: list[dict[str, float]], term: str, x: str = "epoch") -> tuple[np.ndarray, np.ndarray]:
    """A term's validation curve from a run's epoch records: ``x`` (the epoch, or ``"batches"``) and ``val_<term>``
    for the epochs that measured it (a run stopped mid-epoch, or a term a variant lacks, has none)."""
    measured = [record for record in epochs if f"val_{term}" in record]
    return np.array([record[x] for record in measured]), np.array([record[f"val_{term}"] for record in measured])


@dataclass
class History:
    """What a run's curves are drawn from: one value per batch per term, one record per epoch, and the settings
    changed while it trained."""

    batch_terms: dict[str, np.ndarray]
    epochs: list[dict[str, float]]
    live_changes: list[LiveChange] = field(default_factory=list)

    @property
    def batch_count(self) -> int:
        return len(next(iter(self.batch_terms.values()), ()))

    def to_npz(self) -> bytes:
        arrays = {f"batch/{name}": np.asarray(values, dtype=np.float64) for name, values in self.batch_terms.items()}
        keys = list(dict.fromkeys(key for record in self.epochs for key in record))
        for key in keys:
            arrays[f"epoch/{key}"] = np.array([record.get(key, np.nan) for record in self.epochs], dtype=np.float64)
        arrays["epoch_count"] = np.array(len(self.epochs))
        if self.live_changes:
            arrays["change/batch"] = np.array([change.batch for change in self.live_changes], dtype=np.int64)
            arrays["change/name"] = np.array([change.name for change in self.live_changes], dtype=np.str_)
            arrays["change/old"] = np.array([change.old for change in self.live_changes], dtype=np.float64)
            arrays["change/new"] = np.array([change.new for change in self.live_changes], dtype=np.float64)
        return npz_bytes(arrays)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> History:
        batch_terms = {key[6:]: value for key, value in arrays.items() if key.startswith("batch/")}
        changes = [
            LiveChange(int(batch), str(name), float(old), float(new))
            for batch, name, old, new in zip(
                *(arrays.get(f"change/{key}", ()) for key in ("batch", "name", "old", "new")), strict=True
            )
        ]
        columns = {key[6:]: value for key, value in arrays.items() if key.startswith("epoch/")}
        count = int(arrays.get("epoch_count", 0))
        epochs = [
            {key: float(values[index]) for key, values in columns.items() if np.isfinite(values[index])}
            for index in range(count)
        ]
        return cls(batch_terms, epochs, changes)

    def truncated(self, epochs: int) -> History:
        """The history as it was at the end of epoch ``epochs`` (a checkpoint written before a later history)."""
        records = self.epochs[:epochs]
        batches = int(records[-1]["batches"]) if records else 0
        # a change made after that epoch stays in force: the run goes on from there with it
        changes = [replace(change, batch=min(change.batch, batches + 1)) for change in self.live_changes]
        return History({name: values[:batches] for name, values in self.batch_terms.items()}, records, changes)


def history_csv(epochs: list[dict[str, float]]) -> str:
    """Per-epoch records as CSV, one column per key (the union of all records' keys)."""
    import csv

    columns = list(dict.fromkeys(key for record in epochs for key in record))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(epochs)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The lock that says a run's process is alive


class RunLock:
    """An exclusive ``flock`` on the run's ``.lock``: held while the run waits or trains, freed when its process
    ends however it ends (the kernel drops it on ``kill -9``), so no heartbeat is needed to see it died."""

    def __init__(self, path: Path, blocking: bool = True) -> None:
        self._handle = open(path, "a+b")  # noqa: SIM115  (held open for the life of the run)
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            self._handle.close()
            raise

    @classmethod
    def try_acquire(cls, path: Path, patience: float = 0.0) -> RunLock | None:
        """The lock if nobody holds it, else None (a run already training is not resumed twice).

        ``patience`` seconds of retries ride out another process that only checks the lock for a moment."""
        deadline = time.monotonic() + patience
        while True:
            try:
                return cls(path, blocking=False)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.02)

    def release(self) -> None:
        if not self._handle.closed:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()


def lock_is_held(path: Path) -> bool:
    """Whether some open file (in any process, this one included) holds the run's lock."""
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------------------------------------
# The folder


class RunFolder:
    """Reads and writes one run's files; knows nothing of the index (``RunStore`` keeps that in step)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @property
    def run_id(self) -> str:
        return self.path.name

    def file(self, name: str) -> Path:
        return self.path / name

    def exists(self) -> bool:
        return (self.path / RUN_FILE).is_file() and (self.path / CONFIG_FILE).is_file()

    # ---- small JSON files ---------------------------------------------------------------------
    def write_json(self, name: str, data: Any) -> None:
        write_atomically(self.path / name, json.dumps(data, indent=2).encode())

    def read_json(self, name: str, default: Any = None) -> Any:
        path = self.path / name
        if not path.is_file():
            return default
        try:
            return json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise AecoreError(f"'{path}' is not valid JSON ({error}); the run folder is damaged.") from error

    def meta(self) -> dict[str, Any]:
        meta = self.read_json(RUN_FILE)
        if not isinstance(meta, dict):
            raise AecoreError(f"'{self.path}' is not a run folder: {RUN_FILE} is missing.")
        return meta

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        """Change some fields of ``run.json``; read, change and write under a lock of their own, so a rename from
        a page and an epoch's save from the training process never lose each other's change."""
        with open(self.path / META_LOCK_FILE, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            meta = {**self.meta(), **changes}
            self.write_json(RUN_FILE, meta)
        return meta

    def config(self) -> RunConfig:
        path = self.path / CONFIG_FILE
        if not path.is_file():
            raise AecoreError(f"'{self.path}' is not a run folder: {CONFIG_FILE} is missing.")
        return RunConfig.from_json(path.read_text())

    def write_config(self, config: RunConfig) -> None:
        write_atomically(self.path / CONFIG_FILE, config.to_json().encode())

    def metrics(self) -> dict[str, float]:
        return self.read_json(METRICS_FILE, {}) or {}

    # ---- arrays ---------------------------------------------------------------------------------
    def history(self) -> History:
        path = self.path / HISTORY_FILE
        return History.from_arrays(read_npz(path)) if path.is_file() else History({}, [])

    def write_history(self, history: History) -> None:
        write_atomically(self.path / HISTORY_FILE, history.to_npz())

    def preview_arrays(self) -> dict[str, np.ndarray] | None:
        path = self.path / PREVIEW_FILE
        return read_npz(path) if path.is_file() else None

    def checkpoint_epochs(self) -> int | None:
        """How many whole epochs the checkpoint holds (None: no checkpoint yet)."""
        path = self.path / CHECKPOINT_FILE
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as archive:
            return int(archive["epochs_done"])

    # ---- the lock -------------------------------------------------------------------------------
    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_FILE

    def lock(self) -> RunLock:
        return RunLock(self.lock_path)

    def is_locked(self) -> bool:
        return lock_is_held(self.lock_path)
