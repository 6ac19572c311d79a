"""Where runs train: the job interface with its fair queue, and the backends that run the jobs.

- ``manager``: ``JobManager`` (submit, snapshot, stop, list) and its queue; ``run_jobs``: ``new_job`` and
  ``resumed_job``, a run's job with its lock in the store;
- ``remote``: a run as the web server mirrors it from a worker; ``worker``: the local worker processes
  (``python -m aecore.jobs.worker``); ``ray_backend``: one Ray actor per run.

May import ``training`` and everything below it.
"""
