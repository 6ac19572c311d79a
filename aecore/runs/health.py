"""What is wrong with a run store that cannot be written, said exactly: a full disk, a read-only file system, or
permissions, each with what to do. A store in that state is still read and listed (from its folders, the truth).

SQLite says "unable to open database file" for all three; a 4 KB test write into the store's folder tells them
apart by the operating system's own error.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

#: (what is wrong, what to do) for each kind of failed write
FULL = ("the disk is full (no space left on device)", "free some disk space")
READ_ONLY = (
    "it is on a read-only file system",
    "remount it writable, or set AECORE_RUNS_DIR to a writable folder",
)
NO_PERMISSION = (
    "this process may not write to it (permissions)",
    "make the folder writable for the user that runs the server",
)
OTHER_FIX = "free some disk space, make the folder writable, or set AECORE_RUNS_DIR to another folder"


def classify(error: BaseException) -> tuple[str, str] | None:
    """The kind of a failed write from its error, or None when the error does not say."""
    code = getattr(error, "errno", None)
    text = str(error).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text or "no space left" in text:
        return FULL
    if code == errno.EROFS or "read-only" in text or "readonly" in text:
        return READ_ONLY
    if code in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        return NO_PERMISSION
    return None


def probe(root: Path) -> tuple[str, str] | None:
    """Write 4 KB into ``root`` (or the nearest folder above it that exists) and remove it: None if that works."""
    folder = Path(root)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        handle, path = tempfile.mkstemp(dir=folder, prefix=".write-check-")
    except OSError as error:
        return classify(error) or (error.strerror or str(error), OTHER_FIX)
    try:
        os.write(handle, bytes(4096))
        os.fsync(handle)
    except OSError as error:
        return classify(error) or (error.strerror or str(error), OTHER_FIX)
    finally:
        os.close(handle)
        os.unlink(path)
    return None


def described(root: Path, error: BaseException) -> tuple[str, str]:
    """What is wrong after ``error`` and what to do: from the error itself, else from a test write."""
    return classify(error) or probe(root) or (getattr(error, "strerror", None) or str(error), OTHER_FIX)


def write_problem(root: Path) -> str | None:
    """A sentence for the pages and the CLI when the store cannot be written now; None when it can."""
    problem = probe(root)
    if problem is None:
        return None
    wrong, fix = problem
    return (
        f"The run store '{root}' cannot be written: {wrong}. Its runs are shown from their folders and every saved "
        f"epoch is kept, but new runs, renames, tags and deletes fail until you {fix}."
    )
