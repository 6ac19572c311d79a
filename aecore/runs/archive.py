"""A run as one ``.zip`` file: to download from the Runs page or the CLI and to upload back into a store.

An archive comes from outside, so everything in it is checked before one byte lands in the store: it must be
a zip, smaller than the upload limit, with plain files only (no links, no absolute paths, no ``..``), a
``config.json`` that validates and a ``run.json``. It is unpacked into a hidden folder and renamed into place,
so a rejected or half-read archive leaves nothing behind.
"""

from __future__ import annotations

import io
import math
import shutil
import stat
import time
import zipfile
from pathlib import PurePosixPath
from typing import Any

from aecore.data.declared import npz_headers
from aecore.errors import AecoreError
from aecore.runs.archived_dataset import ARCHIVE_FOLDER, add_to_archive, import_from_folder
from aecore.runs.folder import CONFIG_FILE, LOCK_FILE, RUN_FILE, RunFolder, new_run_id
from aecore.runs.index import row_from_files
from aecore.runs.snapshots import ACTIVE, INTERRUPTED, STATUSES, Preview
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig
from aecore.settings.validation import validate

#: Streamlit's default upload limit; the CLI applies the same so both refuse the same files
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
#: what the files may add up to once unpacked (a zip bomb is refused before it is unpacked)
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
#: a run has a few dozen files (its TensorBoard events among them); far more is not a run
MAX_MEMBERS = 2000
#: the largest array a run file may hold: a 10,000-epoch history of 2,000 batches each is 80 MB in float32...
#: in float64 (the batch losses); a preview or a history far past it is not a run of this product
MAX_RUN_ARRAY_BYTES = 160 * 10**6


def export_archive(store: RunStore, run_id: str) -> bytes:
    """Every file of the run (TensorBoard logs included) in one zip, paths relative to the run folder."""
    folder = store.folder(run_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.path.rglob("*")):
            if path.is_file() and not path.name.startswith(".") and path.name != LOCK_FILE:
                archive.write(path, path.relative_to(folder.path).as_posix())
        # the uploaded dataset it trained on, while the archive stays under the upload limit (its files as stored)
        add_to_archive(archive, store, folder.config(), MAX_ARCHIVE_BYTES - buffer.tell())
    return buffer.getvalue()


def _member_paths(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    members = []
    if len(archive.infolist()) > MAX_MEMBERS:
        raise AecoreError(f"The archive holds {len(archive.infolist()):,} files; a run archive holds far fewer.")
    for info in archive.infolist():
        name = info.filename
        path = PurePosixPath(name)
        if not name or not path.parts:
            raise AecoreError("The archive holds an entry without a name; it is not a run archive.")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise AecoreError(f"The archive holds a link ('{name}'); a run archive holds plain files only.")
        if path.is_absolute() or name.startswith(("/", "\\")) or ":" in path.parts[0]:
            raise AecoreError(
                f"The archive holds an absolute path ('{name}'); a run archive holds relative paths only."
            )
        if ".." in path.parts or "\\" in name:
            raise AecoreError(f"The archive holds a path that leaves its folder ('{name}').")
        if not info.is_dir():
            members.append((info, path))
    return members


def _top_folder(paths: list[PurePosixPath]) -> PurePosixPath | None:
    """Archives zipped by hand often put everything in one folder: look for ``config.json`` there too."""
    if any(path == PurePosixPath(CONFIG_FILE) for path in paths):
        return None
    tops = {path.parts[0] for path in paths if len(path.parts) > 1}
    if len(tops) == 1 and PurePosixPath(next(iter(tops)), CONFIG_FILE) in paths:
        return PurePosixPath(next(iter(tops)))
    raise AecoreError(f"The archive has no {CONFIG_FILE}: it is not a run exported from Autoencoder Lab.")


def import_archive(store: RunStore, data: bytes, filename: str = "archive.zip") -> str:
    """Check an uploaded archive and add its run to the store under a new id; returns that id."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise AecoreError(
            f"'{filename}' is {len(data) / 2**20:.0f} MB; run archives can be at most {MAX_ARCHIVE_BYTES // 2**20} MB."
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise AecoreError(f"'{filename}' is not a zip archive; upload a run exported from the Runs page.")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = _member_paths(archive)
        if sum(info.file_size for info, _ in members) > MAX_UNPACKED_BYTES:
            raise AecoreError(f"'{filename}' unpacks to more than {MAX_UNPACKED_BYTES // 2**30} GB; it is refused.")
        top = _top_folder([path for _, path in members])
        files = {
            (path.relative_to(top) if top else path): info
            for info, path in members
            if top is None or path.is_relative_to(top)
        }
        try:
            config = validate(RunConfig.from_json(archive.read(files[PurePosixPath(CONFIG_FILE)]).decode()))
        except UnicodeDecodeError as error:
            raise AecoreError(f"The archive's {CONFIG_FILE} is not text.") from error
        except AecoreError as error:
            raise AecoreError(f"The archive's {CONFIG_FILE} is not a valid run config: {error}") from error
        if PurePosixPath(RUN_FILE) not in files:
            raise AecoreError(f"The archive has no {RUN_FILE}: it is not a run exported from Autoencoder Lab.")
        run_id = new_run_id()
        with store.writing("import the archive"):
            store.root.mkdir(parents=True, exist_ok=True)
            staging = store.root / f".import-{run_id}"
            try:
                for path, info in files.items():
                    target = staging.joinpath(*path.parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as source, open(target, "wb") as sink:
                        shutil.copyfileobj(source, sink)
                folder = RunFolder(staging)
                meta = checked_meta(folder)
                status = INTERRUPTED if meta["status"] in ACTIVE else meta["status"]
                check_arrays(folder)
                config, missing = import_from_folder(store, staging, config)
                shutil.rmtree(staging / ARCHIVE_FOLDER, ignore_errors=True)  # stored with the datasets, if brought
                folder.write_config(config)
                changes = {"message": missing} if missing else {}
                meta = folder.update_meta(
                    id=run_id, status=status, imported=time.time(), imported_from=filename, **changes
                )
                row = row_from_files(run_id, meta, config, folder.metrics())
                staging.rename(store.root / run_id)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            store.index.upsert(row)
    return run_id


def checked_meta(folder: RunFolder) -> dict[str, Any]:
    """The archive's ``run.json``, refused unless every field the store reads has the right type."""
    meta = folder.read_json(RUN_FILE)
    if not isinstance(meta, dict):
        raise AecoreError(f"The archive's {RUN_FILE} is not an object of run fields.")
    checks = {
        "name": lambda value: isinstance(value, str) and 0 < len(value) <= 120,
        "tags": lambda value: isinstance(value, list) and all(isinstance(tag, str) and len(tag) <= 40 for tag in value),
        "status": lambda value: value in STATUSES,
        "created": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
        "epochs_done": lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
    }
    for field, valid in checks.items():
        if field in meta and not valid(meta[field]):
            raise AecoreError(f"The archive's {RUN_FILE} has an invalid '{field}' ({str(meta[field])[:40]!r}).")
    return {"status": INTERRUPTED, **meta}


def check_declared_arrays(folder: RunFolder) -> None:
    """Every array of the run's ``.npz`` files within reason by its header, before any is loaded: a 0.57 MB archive
    once held a 944 MB history that doubled the server's memory at its import and at each opening of the run."""
    for path in sorted(folder.path.rglob("*.npz")):
        try:
            headers = npz_headers(path)
        except AecoreError as error:
            raise AecoreError(f"The archive holds a damaged run file ({error})") from None
        for name, (shape, dtype) in headers.items():
            size = math.prod(shape) * dtype.itemsize
            if dtype.hasobject or size > MAX_RUN_ARRAY_BYTES:
                what = "Python objects" if dtype.hasobject else f"{size / 1e6:,.0f} MB (shape {shape})"
                raise AecoreError(
                    f"The archive's {path.relative_to(folder.path).as_posix()} holds '{name}' of {what}; a run's "
                    f"arrays are plain numbers of at most {MAX_RUN_ARRAY_BYTES / 1e6:g} MB each. It is refused."
                )


def check_arrays(folder: RunFolder) -> None:
    """Every array file must read back as what it claims to be: a damaged one is refused now, not shown later."""
    check_declared_arrays(folder)
    try:
        folder.history()
        folder.checkpoint_epochs()
        arrays = folder.preview_arrays()
        if arrays is not None:
            Preview.from_arrays(arrays)
        if not isinstance(folder.metrics(), dict):
            raise AecoreError("The archive's metrics.json is not an object of metrics.")
    except AecoreError:
        raise
    except Exception as error:  # numpy and zipfile raise many kinds for a damaged file
        reason = str(error).replace(str(folder.path), "the archive")  # never the store's staging folder
        raise AecoreError(f"The archive holds a damaged run file ({type(error).__name__}: {reason}).") from None
