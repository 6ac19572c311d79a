"""What a run is: its settings, their registry and validation, the variants, presets and shareable links.

- ``config``: the ``RunConfig`` dataclasses and the choices each setting has;
- ``parameters``: every setting's kind, range, label and help (the Train page, the CLI, URLs and the run index
  are generated from it);
- ``variants``: the variant registry (one entry per autoencoder);
- ``validation``: ``validate`` and ``cautions`` (they need the variants, so they sit above them);
- ``presets``: the seed documents' models; ``links``: settings as URL query parameters;
- ``lessons``: lesson links (controls hidden or locked, a title and a note) and the ready lessons.

The bottom of the house: imports nothing of ``aecore`` but ``errors``, and never TensorFlow.
"""
