"""The layouts of a finished run's codes computed in a child process of the server
(``python -m aecore.explore.layouts``), which a slot kills the moment its run's Stop or a waiting run needs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from aecore.explore.layouts import layout_name
from aecore.jobs.worker import child_environment
from aecore.runs.folder import RunFolder


def numba_cache() -> str | None:
    """A folder where UMAP's numba code is kept compiled between processes (None when none can be made)."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aecore" / "numba"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(folder)


class LayoutProcess:
    """``lay_out`` in a child process of its own, at low priority; ``stop`` kills it at once."""

    def __init__(self, folder: RunFolder, plan: Sequence[tuple[str, int]], threads: int = 1) -> None:
        names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
        environment = child_environment(**dict.fromkeys(names, str(threads)))
        cache = numba_cache()
        if cache is not None:
            environment.setdefault("NUMBA_CACHE_DIR", cache)
        names = [layout_name(method, dims) for method, dims in plan]
        command = [sys.executable, "-m", "aecore.explore.layouts", str(folder.path), ",".join(names)]
        self.folder = folder
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=environment)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for it to end; its exit code, None if it still runs after ``timeout`` seconds."""
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.running:
            self._process.kill()
        self._process.wait()
