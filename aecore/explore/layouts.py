"""A run's codes laid out for the Latent space scatter once, when the run finishes, and kept in its folder.

Once a run has finished, its worker encodes every test image (``stored_model.store_test_codes``) and a child
process of the server (``aecore.jobs.layout_process``: ``python -m aecore.explore.layouts FOLDER``) lays the
codes out with PCA, t-SNE and UMAP in 2-D and 3-D, writing each layout as soon as it is done: plain arrays (the
points, which test images they show, and PCA's linear map), never a pickled estimator. A process, not a thread:
t-SNE and UMAP cannot be interrupted, and killing the process is how a queued run or a Stop ends the work at once.
What it finished stays; the Latent space page computes any other layout when asked and keeps it the same way.
No TensorFlow here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore.analysis.projections import principal_directions
from aecore.errors import AecoreError
from aecore.explore.latent import nearest
from aecore.runs.folder import CHECKPOINT_FILE, RunFolder, RunLock, lock_is_held, npz_bytes, read_npz, write_atomically

PROJECTIONS_FOLDER = "projections"
CODES_FILE = "codes.npy"
#: held (``flock``) by the process laying a run's codes out, with how far it is: any process can tell
WORKING_FILE, PROGRESS_FILE = ".working", "progress.json"
PROJECTION_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
#: what a finished run lays out, cheapest first
LAYOUT_PLAN = (("pca", 2), ("pca", 3), ("tsne", 2), ("umap", 2), ("umap", 3), ("tsne", 3))
#: t-SNE in 3-D costs as much on 5,000 codes as in 2-D on 10,000 (docs/performance.md): it shows a seeded 5,000
MAX_POINTS = {("tsne", 3): 5000}
#: each layout's seconds on 10,000 codes (docs/performance.md), which share of the progress bar it moves
SECONDS = {("pca", 2): 0.5, ("pca", 3): 0.5, ("tsne", 2): 35.0, ("umap", 2): 40.0, ("umap", 3): 9.0, ("tsne", 3): 39.0}
#: how often a page looks again at a layout a process is computing
WAIT_SECONDS = 0.5
#: the environment variable that chooses what a finished run lays out: "pca-2d,tsne-2d", or "none"
LAYOUTS_VARIABLE = "AECORE_LAYOUTS"

Progress = Callable[[float, str], None]


def layout_name(method: str, dims: int) -> str:
    return f"{method}-{dims}d"


def parse_layouts(text: str) -> tuple[tuple[str, int], ...]:
    """``AECORE_LAYOUTS``'s value as a plan: names like ``pca-2d``, comma-separated; ``none`` or empty: nothing."""
    names = {layout_name(method, dims): (method, dims) for method, dims in LAYOUT_PLAN}
    wanted = [part.strip().lower() for part in text.split(",") if part.strip()]
    if wanted in ([], ["none"]):
        return ()
    unknown = [name for name in wanted if name not in names]
    if unknown:
        raise AecoreError(f"{LAYOUTS_VARIABLE} names unknown layouts {unknown}: choose from {', '.join(names)}.")
    return tuple(names[name] for name in wanted)


def planned_layouts() -> tuple[tuple[str, int], ...]:
    """What a finished run lays out on this server: ``AECORE_LAYOUTS``, by default every layout of the plan."""
    text = os.environ.get(LAYOUTS_VARIABLE)
    return LAYOUT_PLAN if text is None else parse_layouts(text)


@dataclass(frozen=True)
class Layout:
    """Points (n, dims) for the test images ``index`` (n,); PCA (and codes shown as they are) also keep the linear
    map ``(code - mean) @ components`` that places a new code exactly, where t-SNE and UMAP put it on its nearest
    test image's point."""

    points: np.ndarray
    index: np.ndarray
    mean: np.ndarray | None = None
    components: np.ndarray | None = None

    def place(self, codes: np.ndarray, new: np.ndarray) -> np.ndarray:
        """Where new codes (M, K) land on this layout of ``codes`` (the test codes it was made from)."""
        new = np.atleast_2d(np.asarray(new, dtype=np.float64))
        if self.components is not None:
            return ((new - self.mean) @ self.components).astype(np.float32)
        shown = np.asarray(codes)[self.index]
        return self.points[[int(nearest(shown, code, 1)[0]) for code in new]]

    def points_of(self, indices: Sequence[int]) -> np.ndarray:
        """The points of the test images ``indices`` (each one this layout shows)."""
        return self.points[np.searchsorted(self.index, np.asarray(indices, dtype=np.int64))]

    def to_arrays(self) -> dict[str, np.ndarray]:
        linear = {} if self.components is None else {"mean": self.mean, "components": self.components}
        return {"points": self.points, "index": self.index, **linear}


def fit_layout(codes: np.ndarray, method: str, dims: int, seed: int = 0, progress: Progress | None = None) -> Layout:
    """Codes (N, K) laid out in ``dims`` dimensions by ``method``; codes with K ≤ dims are shown as they are.

    ``progress`` hears the stages (fraction done, what is happening): the library's import (UMAP's takes
    seconds), the fit, done; the fit itself reports nothing on the way.
    """
    matrix = np.asarray(codes, dtype=np.float32).reshape(len(codes), -1)
    if method not in PROJECTION_NAMES:
        raise AecoreError(f"Unknown projection {method!r}: choose one of {', '.join(PROJECTION_NAMES)}.")
    if dims not in (2, 3):
        raise AecoreError(f"Codes are laid out in 2 or 3 dimensions, not {dims}.")
    report = progress or (lambda fraction, what: None)
    count, width = matrix.shape
    if width <= dims:
        report(1.0, f"{count:,} codes of {width} dimensions: shown as they are")
        return Layout(
            np.pad(matrix, ((0, 0), (0, dims - width))), np.arange(count), np.zeros(width), np.eye(width, dims)
        )
    index = np.arange(count)
    limit = MAX_POINTS.get((method, dims))
    if limit is not None and count > limit:
        index = np.sort(np.random.default_rng(seed).choice(count, size=limit, replace=False))
    shown = matrix[index]
    what = f"{PROJECTION_NAMES[method]} {dims}-D of {len(shown):,} codes"
    if len(shown) <= dims + 1:
        raise AecoreError(f"A {what} needs at least {dims + 2} codes.")
    if method == "pca":
        mean, directions = principal_directions(shown, dims)
        report(1.0, f"{what}: done")
        points = ((shown - mean) @ directions).astype(np.float32)
        return Layout(points, index, mean.astype(np.float32), directions.astype(np.float32))
    report(0.0, f"{what}: loading {'UMAP' if method == 'umap' else 'scikit-learn'}…")
    if method == "umap":
        import umap

        report(0.1, f"{what}: neighbour graph and layout, the long part…")
        points = umap.UMAP(n_components=dims, random_state=seed, n_jobs=1).fit(shown).embedding_
    else:
        from sklearn.manifold import TSNE

        report(0.1, f"{what}: affinities and layout, the long part…")
        tsne = TSNE(n_components=dims, perplexity=min(30.0, len(shown) - 1.0), init="pca", random_state=seed)
        points = tsne.fit_transform(shown)
    report(1.0, f"{what}: done")
    return Layout(np.asarray(points, dtype=np.float32), index)


# ---------------------------------------------------------------------------------------------
# In the run's folder


def _path(folder: RunFolder, name: str) -> Path:
    return folder.file(PROJECTIONS_FOLDER) / name


def _fresh(folder: RunFolder, path: Path) -> bool:
    """Whether a stored file was made from the run's model as it is: not before its last checkpoint (a run trained
    further since has other codes; they are laid out again when it finishes)."""
    try:
        made = path.stat().st_mtime_ns
    except OSError:
        return False
    try:
        return made >= folder.file(CHECKPOINT_FILE).stat().st_mtime_ns
    except OSError:
        return True  # no checkpoint to be older than (a run imported without one)


def write_codes(folder: RunFolder, codes: np.ndarray) -> None:
    """The codes of the run's test images, in test-set order, as the layouts' starting point (the layouts of
    codes stored before go)."""
    shutil.rmtree(folder.file(PROJECTIONS_FOLDER), ignore_errors=True)
    _path(folder, CODES_FILE).parent.mkdir()
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(codes, dtype=np.float32), allow_pickle=False)
    write_atomically(_path(folder, CODES_FILE), buffer.getvalue())


def read_codes(folder: RunFolder, count: int | None = None) -> np.ndarray | None:
    """The stored test codes (N, K), or None when there are none, they are damaged or older than the model, or
    ``count`` differs from N."""
    if not _fresh(folder, _path(folder, CODES_FILE)):
        return None
    try:
        codes = np.load(_path(folder, CODES_FILE), allow_pickle=False)
    except (OSError, ValueError):
        return None
    if codes.ndim != 2 or len(codes) == 0 or (count is not None and len(codes) != count):
        return None
    return codes


def write_layout(folder: RunFolder, method: str, dims: int, layout: Layout) -> None:
    folder.file(PROJECTIONS_FOLDER).mkdir(exist_ok=True)
    write_atomically(_path(folder, f"{layout_name(method, dims)}.npz"), npz_bytes(layout.to_arrays()))


def stored_methods(folder: RunFolder, dims: int) -> list[str]:
    """The methods whose ``dims``-D layout the run's folder holds, made from its model as it is (by the files'
    dates alone: what a page lists before anyone picks one)."""
    return [method for method in PROJECTION_NAMES if _fresh(folder, _path(folder, f"{layout_name(method, dims)}.npz"))]


def read_layout(folder: RunFolder, method: str, dims: int, count: int) -> Layout | None:
    """The stored layout of ``count`` test codes, or None when it is missing, damaged or made of other codes."""
    path = _path(folder, f"{layout_name(method, dims)}.npz")
    if not _fresh(folder, path):
        return None
    try:
        arrays = read_npz(path)
        layout = Layout(
            arrays["points"], arrays["index"].astype(np.int64), arrays.get("mean"), arrays.get("components")
        )
    except (OSError, ValueError, KeyError):
        return None
    index, points = layout.index, layout.points
    fits = index.ndim == 1 and len(index) and index.min() >= 0 and index.max() < count
    if not fits or points.shape != (len(index), dims) or not np.isfinite(points).all():
        return None
    return layout


def layout_progress(folder: RunFolder) -> tuple[float, str, tuple[tuple[str, int], ...]] | None:
    """How far a process laying out the run's codes is: (fraction done, what it does now, its plan); None when
    none is at work (a process that was killed leaves no lock behind) or it has not said yet."""
    if not lock_is_held(_path(folder, WORKING_FILE)):
        return None
    try:
        state = folder.read_json(f"{PROJECTIONS_FOLDER}/{PROGRESS_FILE}", {}) or {}
        return float(state["fraction"]), str(state["what"]), parse_layouts(",".join(state["plan"]))
    except (KeyError, TypeError, ValueError, OSError, AecoreError):
        return None


def layout_for(
    folder: RunFolder,
    codes: np.ndarray,
    method: str,
    dims: int,
    progress: Progress,
    wait_seconds: float = WAIT_SECONDS,
) -> Layout:
    """The layout of ``codes`` (the run's test codes) a page shows: the stored one; else, while a process lays this
    run out and this layout is in its plan, that one once written (``progress`` hears how far it is); else fitted
    now and stored (a store that cannot be written shows it all the same)."""
    while (under_way := layout_progress(folder)) is not None and (method, dims) in under_way[2]:
        if (ready := read_layout(folder, method, dims, len(codes))) is not None:
            return ready
        progress(min(under_way[0], 1.0), f"Laid out since the run finished: {under_way[1]}")
        time.sleep(wait_seconds)
    if (ready := read_layout(folder, method, dims, len(codes))) is not None:
        return ready
    layout = fit_layout(codes, method, dims, progress=progress)
    with contextlib.suppress(OSError):
        write_layout(folder, method, dims, layout)
    return layout


def lay_out(folder: RunFolder, plan: Sequence[tuple[str, int]], progress: Progress) -> None:
    """Every layout of ``plan`` the folder does not have yet, from its stored codes, each written once done."""
    codes = read_codes(folder)
    if codes is None:
        raise AecoreError(f"Run '{folder.run_id}' has no stored test codes to lay out.")
    pending = [(method, dims) for method, dims in plan if read_layout(folder, method, dims, len(codes)) is None]
    total = sum(SECONDS[layout] for layout in pending) or 1.0
    done = 0.0
    for number, (method, dims) in enumerate(pending, 1):
        share, before = SECONDS[(method, dims)] / total, done / total

        def step(fraction: float, what: str, share: float = share, before: float = before, number: int = number):
            progress(before + fraction * share, f"{what} ({number} of {len(pending)})")

        write_layout(folder, method, dims, fit_layout(codes, method, dims, progress=step))
        done += SECONDS[(method, dims)]
    progress(1.0, "Every layout is stored")


# ---------------------------------------------------------------------------------------------
# The child process


def _exit_with_parent() -> None:
    """A child whose server went away (killed, crashed) ends too, rather than laying out for nobody."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def main(arguments: list[str]) -> None:
    folder, plan = RunFolder(arguments[0]), parse_layouts(arguments[1])
    sys.modules["tensorflow"] = None  # umap-learn's optional parametric model would import it: seconds and 500 MB
    os.nice(10)  # the pages and the runs that train come first
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    working = RunLock.try_acquire(_path(folder, WORKING_FILE))
    if working is None:
        return  # another process lays this run out already
    names = [layout_name(method, dims) for method, dims in plan]

    def report(fraction: float, what: str) -> None:
        state = {"fraction": round(fraction, 4), "what": what, "plan": names}
        write_atomically(_path(folder, PROGRESS_FILE), json.dumps(state).encode())

    try:
        report(0.0, "Starting…")
        lay_out(folder, plan, report)
    finally:
        _path(folder, PROGRESS_FILE).unlink(missing_ok=True)
        working.release()


if __name__ == "__main__":
    main(sys.argv[1:])
