"""The command line: ``python -m aecore variants | datasets | presets | train | sweep | resume | runs``.

- ``main``: the parser (training options generated from the parameter registry) and ``train`` / ``resume``;
- ``runs``: ``runs list | show | delete | export | import``; ``sweep``: ``sweep``; ``tables``: plain-text tables.

The top of the house: may import anything in ``aecore``.
"""
