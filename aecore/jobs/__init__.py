"""Where runs train: the job interface with its fair queue, and the backends that run the jobs.

- ``manager``: ``JobManager`` (submit, snapshot, stop, list) and its queue; ``slots``: one place a run trains,
  with its worker; ``layout_process``: a finished run's layouts in a child process; ``run_jobs``: ``new_job`` and
  ``resumed_job``, a run's job with its lock in the store;
- ``remote``: a run as the web server mirrors it from a worker; ``worker``: the local worker processes
  (``python -m aecore.jobs.worker``); ``ray_backend``: warm Ray actors, one CPU reserved per run.

May import ``explore`` (a finished run's codes are laid out while its slot is free), ``training`` and everything
below them.
"""
