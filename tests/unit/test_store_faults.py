"""A run store that cannot be written is still read and listed, and says exactly what is wrong: a full disk (a small
tmpfs), a read-only one (a read-only bind mount), each mounted by the test where the machine allows it (CI runs as
root); the same faults injected at the operating-system calls where mounting is refused."""

from __future__ import annotations

import contextlib
import errno
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aecore.errors import AecoreError
from aecore.runs import health
from aecore.runs.index import RunIndex
from aecore.runs.store import RunStore
from aecore.settings.config import RunConfig


def finished_and_abandoned_runs(store: RunStore) -> tuple[str, str]:
    """One finished run and one whose process ended while it waited (marked queued, its lock free)."""
    folder, lock = store.create(RunConfig(dataset="digits"), name="finished one")
    store.save(folder, status="finished", ended=time.time(), epochs_done=1)
    lock.release()
    waiting, lock = store.create(RunConfig(dataset="digits"), name="abandoned one")
    lock.release()
    return folder.run_id, waiting.run_id


def mounted(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextlib.contextmanager
def unmounted_after(path: Path) -> Iterator[None]:
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def check_listed_and_refused(store: RunStore, finished: str, abandoned: str, wrong: str) -> None:
    listed = {record.id: record.status for record in store.list()}
    assert listed == {finished: "finished", abandoned: "interrupted"}, listed
    assert store.record(finished).name == "finished one"
    problem = store.write_problem()
    assert problem is not None and wrong in problem and "every saved epoch is kept" in problem
    with pytest.raises(AecoreError, match=f"Could not create a run.* in the run store .*{wrong}"):
        store.create(RunConfig(dataset="digits"))
    with pytest.raises(AecoreError, match=wrong):
        store.rename(finished, "new name")
    assert "permissions" not in problem or wrong == "permissions"


def test_a_read_only_store_on_a_read_only_bind_mount_is_listed_and_says_read_only(tmp_path):
    source, view = tmp_path / "source", tmp_path / "view"
    source.mkdir(), view.mkdir()
    finished, abandoned = finished_and_abandoned_runs(RunStore(source / "store"))
    if not (mounted("--bind", str(source), str(view))):
        pytest.skip("mounting is refused here: test_faults_injected_at_the_system_calls covers it")
    with unmounted_after(view):
        assert mounted("-o", "remount,bind,ro", str(view))
        check_listed_and_refused(RunStore(view / "store"), finished, abandoned, "read-only file system")


def test_a_store_on_a_full_tmpfs_is_listed_and_says_the_disk_is_full(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if not mounted("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)):
        pytest.skip("mounting is refused here: test_faults_injected_at_the_system_calls covers it")
    with unmounted_after(disk):
        store = RunStore(disk / "store")
        finished, abandoned = finished_and_abandoned_runs(store)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:
            while True:
                filler.write(bytes(64 * 1024))
                filler.flush()
        check_listed_and_refused(RunStore(disk / "store"), finished, abandoned, "the disk is full")


@pytest.mark.parametrize(
    ("code", "wrong"),
    [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only file system"), (errno.EACCES, "permissions")],
)
def test_faults_injected_at_the_system_calls_are_named_and_the_runs_still_listed(tmp_path, monkeypatch, code, wrong):
    store = RunStore(tmp_path / "store")
    finished, abandoned = finished_and_abandoned_runs(store)

    def refused(*args, **kwargs):
        raise OSError(code, f"injected: {errno.errorcode[code]}")

    @contextlib.contextmanager
    def unopenable(self):
        raise sqlite3.OperationalError("unable to open database file")
        yield

    monkeypatch.setattr(health.tempfile, "mkstemp", refused)
    monkeypatch.setattr(RunIndex, "connection", unopenable)
    monkeypatch.setattr("aecore.runs.folder.RunLock.try_acquire", refused)
    monkeypatch.setattr("aecore.runs.store.create_folder", refused)
    monkeypatch.setattr("aecore.runs.folder.RunFolder.update_meta", refused)
    check_listed_and_refused(RunStore(tmp_path / "store"), finished, abandoned, wrong)


def test_runs_list_and_the_runs_page_show_the_runs_with_what_is_wrong(tmp_path, monkeypatch, capsys):
    from cli_support import run_cli
    from streamlit.testing.v1 import AppTest

    from pages import _ui as ui

    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path / "store"))
    finished, _ = finished_and_abandoned_runs(RunStore(tmp_path / "store"))

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(health.tempfile, "mkstemp", full)
    code, out, err = run_cli(capsys, "runs", "list")
    assert code == 0 and finished in out and "the disk is full" in err
    ui.run_store.clear()
    page = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "pages" / "runs.py"), default_timeout=60)
    page.run()
    captions = " ".join(str(caption.value) for caption in page.caption)
    assert not page.exception and "the disk is full" in page.warning[0].value and "2 of 2 runs" in captions
    ui.run_store.clear()


def test_after_a_power_cut_the_index_is_repaired_from_the_folders_at_start(tmp_path):
    """The folders are written (and synced) first, the index a moment later: a cut in between leaves rows behind,
    rows without folders and folders without rows. The next start puts each right, and only those."""
    store = RunStore(tmp_path / "store")
    finished, abandoned = finished_and_abandoned_runs(store)
    gone, lock = store.create(RunConfig(dataset="digits"), name="gone")
    lock.release()
    folder = store.folder(abandoned)
    folder.update_meta(status="finished", epochs_done=3, name="saved before the cut")  # the index never heard
    store.index.delete(finished)  # its row was lost
    shutil.rmtree(gone.path)  # its folder was lost, its row kept

    assert RunStore(tmp_path / "store").repair_index() == 3
    records = {record.id: record for record in RunStore(tmp_path / "store").index.select({})}
    assert set(records) == {finished, abandoned}
    assert (records[abandoned].status, records[abandoned].epochs_done) == ("finished", 3)
    assert records[abandoned].name == "saved before the cut"
    assert RunStore(tmp_path / "store").repair_index() == 0, "an index in step is left alone"


def test_each_epoch_end_flushes_its_files_and_their_folder_to_the_disk(tmp_path, monkeypatch):
    from aecore.jobs.run_jobs import new_job
    from aecore.runs import folder as folder_module

    synced: list[str] = []
    real_fsync = folder_module.os.fsync
    monkeypatch.setattr(folder_module.os, "fsync", lambda handle: synced.append(handle) or real_fsync(handle))
    store = RunStore(tmp_path / "store")
    config = RunConfig(dataset="digits").with_changes(training={"epochs": 2, "batch_size": 256})
    job = new_job(config, store)
    job.run()
    assert store.record(job.run_id).epochs_done == 2
    # per epoch: history, checkpoint, preview and run.json, each flushed, then the folder: five at least
    assert len(synced) >= 2 * 5, len(synced)
