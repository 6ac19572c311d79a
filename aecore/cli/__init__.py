"""The command line: ``python -m aecore variants | datasets | presets | train | script | sweep | resume | evaluate |
runs | cluster``.

- ``main``: the parser (training options generated from the parameter registry) and ``train`` / ``resume``;
- ``runs``: ``runs list | show | compare | delete | export | import | prune``; ``datasets``: ``datasets [add |
  remove]``; ``sweep``: ``sweep``; ``evaluate``: a stored run on noisy test images, as the Denoising page shows
  it; ``cluster``: a stored run's codes clustered and scored; ``tables``: plain-text tables.

The top of the house: may import anything in ``aecore``.
"""
