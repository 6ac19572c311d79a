"""The users' own datasets in the run store: stored once per file, listed and loaded by every process that opens the
store (the web server, its workers, the command line), surviving a restart, removable when no run needs them."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_support import run_cli

from aecore.data import registry
from aecore.errors import AecoreError
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig

ROOT = Path(__file__).resolve().parents[2]


def npz_file(seed: int = 0, count: int = 40) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    labels = np.array(["cat", "dog"] * (count // 2))
    np.savez(buffer, x=rng.integers(0, 256, (count, 12, 12), dtype=np.uint8), y=labels)
    return buffer.getvalue()


def test_an_upload_is_stored_once_per_file_and_listed_and_loaded_by_name(tmp_path):
    store = RunStore(tmp_path / "store")
    stored, new = store.add_dataset("pets.npz", npz_file())
    assert new and stored.full_name == "upload:pets" and (stored.count, stored.height) == (40, 12)
    again, new_again = store.add_dataset("copy of pets.npz", npz_file(), name="other")
    assert not new_again and again.key == stored.key and again.name == "pets", "the same file is the same dataset"
    with pytest.raises(AecoreError, match="already called 'pets'.*choose another name"):
        store.add_dataset("pets.npz", npz_file(seed=1))

    info = next(info for info in registry.list_datasets() if info.name == "upload:pets")
    assert info.shape == (12, 12, 1) and info.n_test == 8 and "2 classes" in info.description
    dataset = registry.load_dataset("upload:pets")
    assert dataset.class_names == ("cat", "dog") and dataset.n_train + dataset.n_val + dataset.n_test == 40
    assert dataset.x_train.dtype == np.float32 and 0.0 <= dataset.x_train.min() and dataset.x_train.max() <= 1.0


def test_another_process_opening_the_store_lists_and_loads_the_upload_as_after_a_restart(tmp_path):
    RunStore(tmp_path / "store").add_dataset("pets.npz", npz_file())
    script = (
        "import sys; from aecore.runs.store import RunStore; from aecore.data.registry import load_dataset, "
        "list_datasets; RunStore(sys.argv[1]); d = load_dataset('upload:pets'); "
        "print(d.n_train + d.n_val + d.n_test, [i.name for i in list_datasets()][-1])"
    )
    checked = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "store")],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert checked.stdout.split() == ["40", "upload:pets"]


def test_a_dataset_a_run_trained_on_is_kept_until_the_run_is_deleted(tmp_path):
    store = RunStore(tmp_path / "store")
    store.add_dataset("kept.npz", npz_file())
    folder, lock = store.create(RunConfig(dataset="upload:kept").with_changes(training={"epochs": 1}))
    lock.release()
    with pytest.raises(AecoreError, match=f"1 run trained on upload:kept \\({folder.run_id}\\); delete them first"):
        store.remove_dataset("kept")
    assert registry.load_dataset("upload:kept").n_test == 8, "nothing was removed"
    store.delete(folder.run_id)
    assert store.remove_dataset("upload:kept").name == "kept"
    assert "upload:kept" not in [info.name for info in registry.list_datasets()]
    with pytest.raises(AecoreError, match="No uploaded dataset is called 'kept'"):
        store.remove_dataset("kept")


def test_the_command_line_adds_lists_and_removes_through_the_same_checks(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path / "store"))
    (tmp_path / "pets.npz").write_bytes(npz_file())
    code, out, _ = run_cli(capsys, "datasets", "add", str(tmp_path / "pets.npz"), "--name", "my pets", "--json")
    added = json.loads(out)
    assert code == 0 and added["full_name"] == "upload:my pets" and added["new"] and added["count"] == 40
    code, out, _ = run_cli(capsys, "datasets", "--json")
    assert code == 0 and "upload:my pets" in [row["name"] for row in json.loads(out)]

    (tmp_path / "colour.npz").write_bytes(b"PK\x03\x04 broken")
    code, out, err = run_cli(capsys, "datasets", "add", str(tmp_path / "colour.npz"))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "not a readable NumPy file" in err
    code, _, err = run_cli(capsys, "datasets", "add", str(tmp_path / "missing.npz"))
    assert code == 2 and "Cannot read" in err

    code, out, _ = run_cli(capsys, "datasets", "remove", "my pets")
    assert code == 0 and "Removed upload:my pets" in out


def test_a_run_archive_carries_its_uploaded_dataset_to_another_store(tmp_path):
    from aecore.jobs.run_jobs import new_job
    from aecore.runs import archive as archive_module
    from aecore.runs.archive import export_archive, import_archive

    here, there, elsewhere = (RunStore(tmp_path / name) for name in ("here", "there", "elsewhere"))
    stored, _ = here.add_dataset("travel.npz", npz_file(seed=9))
    config = RunConfig(dataset="upload:travel").with_changes(training={"epochs": 1, "batch_size": 16})
    job = new_job(config, here)
    job.run()
    data = export_archive(here, job.run_id)

    there.add_dataset("other.npz", npz_file(seed=10), name="travel")  # its name is taken there by another dataset
    run_id = import_archive(there, data, "travel-run.zip")
    record = there.record(run_id)
    arrived = there.datasets.find(record.dataset.removeprefix("upload:"))
    assert arrived is not None and arrived.key == stored.key and record.dataset != "upload:travel"
    assert record.message == "" and not (there.root / run_id / "dataset").exists()
    assert registry.load_dataset(record.dataset).n_test == 8, "the run can be explored and resumed there"

    real = archive_module.add_to_archive
    with pytest.MonkeyPatch.context() as patch:  # an archive with no room left for the images
        patch.setattr(
            archive_module, "add_to_archive", lambda archive, store, config, room: real(archive, store, config, 0)
        )
        too_big = export_archive(here, job.run_id)
    run_id = import_archive(elsewhere, too_big, "travel-run.zip")
    message = elsewhere.record(run_id).message
    assert f"upload:travel (key {stored.key}) is not in this store" in message and "upload that file again" in message
