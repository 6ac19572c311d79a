"""The run store: a folder per run under one root, plus the SQLite index that lists them.

Every training is a run here, whichever process or page started it. The folders are the truth; each change
writes the folder first and then the index row made from it, so a crash between the two leaves an index one
step behind, which ``rebuild_index`` (or the next write of that run) puts right. Errors the user can act on
(a full disk, a read-only folder, a busy index) become one ``AecoreError`` saying what to change.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from aecore import __version__
from aecore.data.library import StoredDataset
from aecore.data.registry import use_library
from aecore.data.subsets import CLASS_SUBSET_MARK
from aecore.errors import AecoreError, quoted
from aecore.runs.folder import RUN_FILE, STORE_FORMAT, RunFolder, RunLock, check_run_id, new_run_id
from aecore.runs.health import described, write_problem
from aecore.runs.index import RunIndex, RunRecord, record_from_row, row_from_files
from aecore.runs.snapshots import ACTIVE, INTERRUPTED, QUEUED, STATUSES
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate

DEFAULT_ROOT = "runs"
#: the users' uploaded datasets, beside the runs that train on them (``aecore.data.library``)
DATASETS_FOLDER = "datasets"


def default_root() -> Path:
    """``$AECORE_RUNS_DIR``, else ``./runs``: with several machines (Ray), a folder every worker sees."""
    return Path(os.environ.get("AECORE_RUNS_DIR") or DEFAULT_ROOT)


@contextlib.contextmanager
def storing(root: Path, what: str) -> Iterator[None]:
    """Turn a failed write into an ``AecoreError`` that says where, exactly what is wrong, and what to do."""
    try:
        yield
    except AecoreError:
        raise
    except (OSError, sqlite3.Error) as error:
        wrong, fix = described(root, error)
        raise AecoreError(
            f"Could not {what} in the run store '{root}': {wrong}. To go on, {fix}; what is already saved is kept."
        ) from error


def create_folder(
    path: Path, config: RunConfig, *, name: str | None = None, sweep: str | None = None, sweep_point: str | None = None
) -> tuple[RunFolder, RunLock]:
    """Make a run folder with its config and ``run.json`` (status ``queued``) and take its lock.

    ``RunStore.create`` makes one inside the store; ``python -m aecore train --out DIR`` makes a standalone one.
    """
    with storing(path.parent, "create a run folder"):
        path.mkdir(parents=True, exist_ok=True)
        folder = RunFolder(path)
        if (path / RUN_FILE).exists():
            raise AecoreError(f"'{path}' already holds a run; choose a new folder so nothing saved is overwritten.")
        lock = RunLock.try_acquire(folder.lock_path)
        if lock is None:
            raise AecoreError(f"'{path}' is in use by another run; choose a new folder.")
        folder.write_config(config)
        folder.write_json(
            RUN_FILE,
            {
                "id": folder.run_id,
                "name": name or f"{config.model.variant} {folder.run_id[-6:]}",
                "tags": [],
                "status": QUEUED,
                "message": "",
                "created": time.time(),
                "ended": None,
                "epochs_done": 0,
                "sweep": sweep,
                "sweep_point": sweep_point,
                "version": __version__,  # only runs of one version (and store format) group as seeds
                "store_format": STORE_FORMAT,
            },
        )
    return folder, lock


class RunStore:
    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.index = RunIndex(self.root)
        self.datasets = use_library(self.root / DATASETS_FOLDER)  # its uploads: listed and loadable in this process
        with contextlib.suppress(AecoreError, sqlite3.Error):  # a store that cannot be written is still read
            if self.index.path.exists() and not self.index.is_current():
                self.rebuild_index()  # another version of the code wrote it (other columns): the folders are the truth

    def writing(self, what: str) -> contextlib.AbstractContextManager[None]:
        return storing(self.root, what)

    # ---- runs -----------------------------------------------------------------------------------
    def create(
        self,
        config: RunConfig,
        *,
        name: str | None = None,
        sweep: str | None = None,
        sweep_point: str | None = None,
    ) -> tuple[RunFolder, RunLock]:
        """A new run folder and index row (status ``queued``), with its lock held by the caller.

        A sweep's run names its sweep and its point of the grid (``aecore.sweeps.plans``)."""
        config = validate(config)
        run_id = new_run_id()
        with self.writing("create a run"):
            folder, lock = create_folder(self.root / run_id, config, name=name, sweep=sweep, sweep_point=sweep_point)
            self.index.upsert(row_from_files(run_id, folder.meta(), config, {}))
        return folder, lock

    def folder(self, run_id: str) -> RunFolder:
        folder = RunFolder(self.root / check_run_id(run_id))
        if not folder.exists():
            raise AecoreError(
                f"There is no run '{run_id}' in the store '{self.root}' (see `python -m aecore runs list`)."
            )
        return folder

    def save(self, folder: RunFolder, config: RunConfig | None = None, **meta_changes: Any) -> dict[str, Any]:
        """Write a run's ``run.json`` (and config, if given) and put its index row in step."""
        with self.writing(f"save run {folder.run_id}"):
            if config is not None:
                folder.write_config(config)
            meta = folder.update_meta(**meta_changes)
            self.index.upsert(row_from_files(folder.run_id, meta, config or folder.config(), folder.metrics()))
        return meta

    def record(self, run_id: str) -> RunRecord:
        folder = self.folder(run_id)
        try:
            with self.reading():
                record = self.index.get(run_id)
                if record is None:  # a folder the index has not seen (copied in by hand, or an index written before)
                    self._index_folder(folder)
                    record = self.index.get(run_id)
        except AecoreError:  # an index that cannot be read or written: the folder is the truth
            record = record_from_row(self._row(folder))
        settled = self._reconciled([record])
        if not settled:
            raise AecoreError(f"Run '{run_id}' was deleted a moment ago.")
        return settled[0]

    def write_problem(self) -> str | None:
        """What keeps this store from being written now (a full disk, a read-only one, permissions), or None."""
        return write_problem(self.root)

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """Turn an index that cannot be read into an ``AecoreError`` that says why."""
        try:
            yield
        except sqlite3.Error as error:
            wrong, fix = described(self.root, error)
            raise AecoreError(f"The run index '{self.index.path}' cannot be read: {wrong}. To go on, {fix}.") from error

    def list(
        self,
        *,
        variant: str | None = None,
        dataset: str | None = None,
        status: str | None = None,
        tag: str | None = None,
        sweep: str | None = None,
    ) -> list[RunRecord]:
        """Every run, newest first, filtered by any of the given values; read from the folders when the index
        cannot be read or rebuilt (a full or read-only disk)."""
        if status is not None and status not in STATUSES:
            raise AecoreError(f"Unknown status '{status}'; choose one of: {', '.join(STATUSES)}.")
        if not self.root.is_dir():
            return []
        where = {"variant": variant, "dataset": dataset, "tag": tag, "sweep": sweep}
        try:
            with self.reading():
                if not self.index.path.exists():
                    self.rebuild_index()  # the index was deleted or never written: the folders are the truth
                records = self.index.select(where)
        except AecoreError:
            records = self._records_from_folders(where)
        records = self._reconciled(records)
        return [record for record in records if status is None or record.status == status]

    def _row(self, folder: RunFolder) -> dict[str, Any]:
        return row_from_files(folder.run_id, folder.meta(), folder.config(), folder.metrics())

    def _records_from_folders(self, where: dict[str, Any]) -> list[RunRecord]:
        """Every readable run folder as a record, filtered as the index would, newest first (no write)."""
        records = []
        for path in self.root.iterdir():
            folder = RunFolder(path)
            if path.name.startswith(".") or not folder.exists():
                continue
            try:
                records.append(record_from_row(self._row(folder)))
            except (AecoreError, OSError, ValueError, TypeError, KeyError):
                continue  # a damaged folder is left out, as the index leaves it out
        matches = [
            record
            for record in records
            if all(
                value is None or (value in record.tags if name == "tag" else getattr(record, name) == value)
                for name, value in where.items()
            )
        ]
        return sorted(matches, key=lambda record: record.created, reverse=True)

    def _reconciled(self, records: list[RunRecord]) -> list[RunRecord]:
        """A run marked queued or running whose lock nobody holds lost its process: it is interrupted.

        The lock is taken while the run's ``run.json`` is read again, so a run that ended between the index
        read and now (it saves its status, then lets go of its lock) keeps the status it saved."""
        result = []
        for record in records:
            if record.status in ACTIVE:
                record = self._settled(record)
            if record is not None:
                result.append(record)
        return result

    def _settled(self, record: RunRecord) -> RunRecord | None:
        folder = RunFolder(self.root / record.id)
        if not folder.exists():
            return None  # deleted since the index was read
        try:
            lock = RunLock.try_acquire(folder.lock_path)
        except OSError:  # a store that cannot be written: its lock file cannot be made, only looked at
            return record if self._held(folder) else replace(record, status=INTERRUPTED)
        if lock is None:
            return record  # its process still holds it
        try:
            meta = folder.meta()
            if meta.get("status") in ACTIVE:
                done = folder.checkpoint_epochs() or 0
                message = f"Interrupted: its process ended during epoch {done + 1}; {done} finished epochs are kept."
                try:
                    self.save(folder, status=INTERRUPTED, message=message, epochs_done=done)
                except AecoreError:
                    return replace(record, status=INTERRUPTED, message=message, epochs_done=done)  # a read-only store
            else:
                self._index_folder(folder)
        except (AecoreError, OSError, ValueError):
            return record
        finally:
            lock.release()
        try:
            return self.index.get(record.id) or record
        except sqlite3.Error:
            return record

    @staticmethod
    def _held(folder: RunFolder) -> bool:
        try:
            return folder.is_locked()
        except OSError:
            return False

    def rename(self, run_id: str, name: str) -> None:
        name = name.strip()
        if not name:
            raise AecoreError("A run's name cannot be empty.")
        if len(name) > 120:
            raise AecoreError(f"A run's name can be at most 120 characters (got {len(name)}).")
        self.save(self.folder(run_id), name=name)

    def set_tags(self, run_id: str, tags: list[str] | tuple[str, ...]) -> None:
        cleaned = list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))
        for tag in cleaned:
            if len(tag) > 40 or "," in tag:
                raise AecoreError(f"A tag is a short word or phrase without commas (got '{tag}').")
        self.save(self.folder(run_id), tags=cleaned)

    def delete(self, run_id: str) -> None:
        folder = self.folder(run_id)
        with self.writing(f"delete run {run_id}"):
            lock = RunLock.try_acquire(folder.lock_path, patience=0.2)  # held while deleting: no resume sneaks in
            if lock is None:
                raise AecoreError(f"Run '{run_id}' is still training or waiting; stop it before deleting it.")
            try:
                # the folder leaves the store under a name no listing reads, then goes; the row goes with it
                doomed = folder.path.with_name(f".deleted-{run_id}")
                os.replace(folder.path, doomed)
                self.index.delete(run_id)
            finally:
                lock.release()
            shutil.rmtree(doomed, ignore_errors=True)

    # ---- uploaded datasets ----------------------------------------------------------------------
    def add_dataset(self, filename: str, content: bytes, name: str | None = None) -> tuple[StoredDataset, bool]:
        """Check and store an uploaded file as a dataset (``DatasetLibrary.add``); True when it is new."""
        with self.writing("store a dataset"):
            return self.datasets.add(filename, content, name)

    def runs_using(self, dataset: str) -> list[str]:
        """The runs that trained on ``dataset`` or on one of its class subsets."""
        return [
            record.id
            for record in self.list()
            if record.dataset == dataset or record.dataset.startswith(dataset + CLASS_SUBSET_MARK)
        ]

    def remove_dataset(self, name: str) -> StoredDataset:
        """Delete an uploaded dataset that no run needs; otherwise say which runs do."""
        stored = self.datasets.find(name)
        if stored is None:
            raise AecoreError(f"No uploaded dataset is called {quoted(name)}; `python -m aecore datasets` lists them.")
        users = self.runs_using(stored.full_name)
        if users:
            raise AecoreError(
                f"{len(users)} run{'s' if len(users) > 1 else ''} trained on {stored.full_name} "
                f"({', '.join(users[:3])}{', …' if len(users) > 3 else ''}); delete them first, so that they can "
                "still be opened."
            )
        with self.writing("remove a dataset"):
            return self.datasets.remove(name)

    def rebuild_index(self) -> int:
        """Make the index again from the folders (the truth); returns how many runs it lists."""
        rows = []
        with self.writing("rebuild the index"):
            self.root.mkdir(parents=True, exist_ok=True)
            for path in sorted(self.root.iterdir()):
                folder = RunFolder(path)
                if path.name.startswith(".") or not folder.exists():
                    continue
                try:
                    rows.append(row_from_files(folder.run_id, folder.meta(), folder.config(), folder.metrics()))
                except (AecoreError, OSError, ValueError, TypeError, KeyError):
                    continue  # a damaged folder is left alone, not listed
            self.index.replace_all(rows)
        return len(rows)

    def repair_index(self) -> int:
        """Put the index in step with the folders where they disagree, as a power cut can leave it (the folders are
        synced at each epoch end, the index a moment later): a row without its folder goes, a folder without a row,
        or whose ``run.json`` says another status, epoch count, name or tags, is indexed again. Returns how many
        rows changed; a store that cannot be written is left as it is (its runs are listed from the folders)."""
        if not self.root.is_dir() or not self.index.path.exists():
            return 0
        try:
            with self.reading():
                indexed = {record.id: record for record in self.index.select({})}
        except AecoreError:
            return 0
        folders = {
            path.name: RunFolder(path)
            for path in self.root.iterdir()
            if not path.name.startswith(".") and RunFolder(path).exists()
        }
        changed = 0
        with contextlib.suppress(AecoreError):
            for run_id in indexed.keys() - folders.keys():
                with self.writing("repair the index"):
                    self.index.delete(run_id)
                changed += 1
            for run_id, folder in folders.items():
                try:
                    meta = folder.meta()
                except (AecoreError, OSError, ValueError):
                    continue
                record = indexed.get(run_id)
                saved = (
                    meta.get("status"),
                    int(meta.get("epochs_done", 0)),
                    meta.get("name") or run_id,
                    meta.get("tags", []),
                )
                if record is None or (record.status, record.epochs_done, record.name, list(record.tags)) != saved:
                    self._index_folder(folder)
                    changed += 1
        return changed

    def _index_folder(self, folder: RunFolder) -> None:
        with self.writing(f"index run {folder.run_id}"):
            self.index.upsert(row_from_files(folder.run_id, folder.meta(), folder.config(), folder.metrics()))

    def has(self, run_id: str) -> bool:
        try:
            self.folder(run_id)
        except AecoreError:
            return False
        return True
