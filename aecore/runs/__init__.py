"""The run store: every training is a run with a folder of its own, listed in one SQLite index.

- ``store``: ``RunStore`` (no TensorFlow) creates, lists, renames, tags and deletes runs and stores uploaded
  datasets; ``index``: the SQLite index and its columns; ``folder``: one run's folder and its files; ``health``:
  what keeps a store from being written (a full disk, a read-only one, permissions); ``prune``: old runs removed;
- ``snapshots``: what a run publishes (its snapshot, preview and statuses), live or ended;
- ``checkpoints``: a run's model saved and loaded (TensorFlow); ``recorder``: the training job's writer;
- ``archive``: a run in and out as one zip, ``archived_dataset`` the uploaded dataset it carries; ``view``: an
  ended run read back as a snapshot; ``compare``: runs side by side.

May import ``settings``, ``analysis``, ``data``, ``models``, ``errors`` and ``tensorflow_runtime``.
"""
