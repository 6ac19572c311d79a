"""What a stored run is good for: the explore pages' computations on its model, as numpy.

- ``stored_model``: a stored run's model put to work (encode, decode, reconstruct) on its dataset;
- ``layouts``: a run's codes laid out by PCA, t-SNE and UMAP, computed when it finishes, kept in its folder;
- ``latent``: neighbours, interpolations, prior samples, unit activity, first-layer weights;
- ``denoising``: the model on noisy input, PSNR against noise level, inpainting;
- ``applications``: anomaly detection, clustering and retrieval against plain baselines.

May import ``training`` and everything below it; ``jobs`` sits above it (a finished run's slot lays its codes
out with ``layouts``).
"""
