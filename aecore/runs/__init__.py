"""The run store: every training is a run with a folder of its own, listed in one SQLite index.

``RunStore`` (no TensorFlow) creates, lists, renames, tags and deletes runs; ``aecore.runs.archive`` moves a
run in and out as one zip; ``aecore.runs.view`` reads an ended run back as a ``Snapshot``;
``aecore.runs.models`` (TensorFlow) saves and loads a run's model; ``aecore.runs.recorder`` is the training
job's writer.
"""

from aecore.runs.folder import History, RunFolder, history_csv
from aecore.runs.index import RunRecord
from aecore.runs.store import RunStore, default_root

__all__ = ["History", "RunFolder", "RunRecord", "RunStore", "default_root", "history_csv"]
