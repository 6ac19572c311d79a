"""The command line: ``python -m aecore variants | datasets | presets | train | script | sweep | resume | evaluate |
runs``.

- ``main``: the parser (training options generated from the parameter registry) and ``train`` / ``resume``;
- ``runs``: ``runs list | show | delete | export | import | prune``; ``datasets``: ``datasets [add | remove]``;
  ``sweep``: ``sweep``; ``evaluate``: a stored run on
  noisy test images, as the Denoising page shows it; ``tables``: plain-text tables.

The top of the house: may import anything in ``aecore``.
"""
