"""The autoencoders: one module per variant on a common base, every loss term a small pure function.

- ``base``: ``Autoencoder``, the dense encoder / decoder with its ``train_step`` and ``test_step`` (the
  undercomplete and deep variants are this class); ``conv``, ``sparse``, ``contractive``, ``vae``, ``aae``:
  one variant each;
- ``losses``: reconstruction losses, Bernoulli and Gaussian KL, weight decay, the contractive norm, PSNR;
- ``build``: ``build_model`` makes the model a config names (the class comes from the variant registry).

May import ``settings``, ``data`` (noise), ``errors`` and ``tensorflow_runtime``.
"""
