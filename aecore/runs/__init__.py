"""The run store: every training is a run with a folder of its own, listed in one SQLite index.

- ``store``: ``RunStore`` (no TensorFlow) creates, lists, renames, tags and deletes runs; ``index``: the SQLite
  index and its columns; ``folder``: one run's folder and its files;
- ``snapshots``: what a run publishes (its snapshot, preview and statuses), live or ended;
- ``checkpoints``: a run's model saved and loaded (TensorFlow); ``recorder``: the training job's writer;
- ``archive``: a run in and out as one zip; ``view``: an ended run read back as a snapshot; ``compare``: runs
  side by side.

May import ``settings``, ``analysis``, ``models``, ``errors`` and ``tensorflow_runtime``.
"""
