"""The training engine: one job trains one model and publishes what a live view needs.

- ``engine``: ``TrainingJob``, the loop; ``steps``: its steps compiled once and the batches they eat;
- ``live_state``: a job's live state and the changes that carry it to another process;
- ``evaluation``: previews between epochs and the test metrics at the end; ``devices``: CPU, a GPU or all.

May import everything below it: ``settings``, ``analysis``, ``data``, ``models``, ``runs``.
"""
