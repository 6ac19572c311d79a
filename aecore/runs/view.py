"""A stored run read back as a ``Snapshot``: a page draws it exactly as it drew the live run, with no job."""

from __future__ import annotations

import numpy as np

from aecore.errors import AecoreError
from aecore.runs.snapshots import Preview, Snapshot
from aecore.runs.store import RunStore


def stored_snapshot(store: RunStore, run_id: str) -> Snapshot:
    """The run as its folder holds it: settings, every batch's terms, epoch records, last preview, test metrics.

    A damaged file (cut short, edited by hand) is an ``AecoreError`` naming the run, never a traceback."""
    try:
        return _read_snapshot(store, run_id)
    except AecoreError:
        raise
    except Exception as error:  # numpy, zipfile and json raise many kinds for a damaged file
        raise AecoreError(
            f"Run '{run_id}' cannot be read back: one of its files is damaged ({type(error).__name__}: {error})."
        ) from error


def _read_snapshot(store: RunStore, run_id: str) -> Snapshot:
    record = store.record(run_id)  # reconciles a run whose process died into ``interrupted``
    folder = store.folder(run_id)
    meta = folder.meta()
    history = folder.history()
    preview_arrays = folder.preview_arrays()
    batches_per_epoch = int(meta.get("batches_per_epoch", 0))
    seconds = sum(epoch.get("seconds", 0.0) for epoch in history.epochs)
    images = history.batch_count * record.config.training.batch_size
    return Snapshot(
        run_id=run_id,
        job_id=None,
        status=record.status,
        message=record.message,
        config=record.config,
        device=meta.get("device", ""),
        epoch=record.epochs_done,
        batch=0,
        batches_per_epoch=batches_per_epoch,
        elapsed_seconds=seconds,
        samples_per_second=images / seconds if seconds else 0.0,
        batch_steps=np.arange(1, history.batch_count + 1),
        batch_terms=history.batch_terms,
        epoch_history=history.epochs,
        preview=None if preview_arrays is None else Preview.from_arrays(preview_arrays),
        test_metrics=folder.metrics() or None,
        live_changes=history.live_changes,
    )
