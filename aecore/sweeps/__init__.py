"""Sweeps: a grid over one or two settings, several seeds each, and what the grid shows.

- ``plans``: parsing values, ``SweepPlan`` and its points, saving, starting, stopping and progress;
- ``statistics``: mean and spread over seeds, the clear best, grids for heatmaps;
- ``seed_tables``: the seed report's hyperparameter tables as sweeps, with its published figures;
- ``importance``: what mattered among runs (each setting against a random one); ``table``: a set of runs as
  columns of settings and metrics, with range filters.

May import ``settings`` and ``runs`` (a sweep is started through a job manager passed in).
"""
