"""What a trained autoencoder has learned: traversals, manifold grids, projections, clustering and anomaly metrics.

Models are not passed in: functions take plain callables ``encode(images) -> codes (N, K)`` and
``decode(codes) -> images (N, H, W, 1)`` so they work with any variant and test with tiny fakes.
scikit-learn and SciPy are imported inside the functions that need them (together about 2 s), so the
training job and the pages can use ``to_uint8`` without paying for them. PSNR is ``aecore.models.losses.psnr``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aecore.analysis.pixels import image_stack
from aecore.errors import AecoreError

Decode = Callable[[np.ndarray], np.ndarray]


#: Every traversal steps each code dimension over ±3 standard deviations of the real codes.
TRAVERSAL_SPAN = 3.0


#: With a center and scale, the manifold grid spans center ± 2 scale (most of a bell-shaped code).
MANIFOLD_SPAN = 2.0


@dataclass(frozen=True)
class Traversal:
    """Decoded latent traversals: ``images[r, c]`` is code dimension ``dims[r]`` moved by ``offsets[c]`` σ."""

    images: np.ndarray  # (rows, steps, H, W) float32
    offsets: np.ndarray  # (steps,) in standard deviations of the real codes
    dims: np.ndarray  # (rows,) the code dimensions traversed, 0-based

    @property
    def row_labels(self) -> list[str]:
        """ "z1", "z2", ...: the traversed dimensions, numbered from 1 as in the formulas on the pages."""
        return [f"z{dim + 1}" for dim in self.dims]

    @property
    def column_labels(self) -> list[str]:
        """ "-3σ" ... "+3σ": how far each column moved its dimension."""
        return [f"{offset:+.2g}σ" if offset else "0σ" for offset in self.offsets]


def traversal_grid(
    decode: Decode, base_code: np.ndarray, code_std: np.ndarray, steps: int = 7, max_dims: int = 10
) -> Traversal:
    """Decode ``base_code`` with one dimension at a time moved over ±3 σ: what each code unit controls.

    When the code has more than ``max_dims`` dimensions, the ``max_dims`` with the largest spread are shown
    (in index order), since a dimension the encoder barely uses decodes to the same image all along its row.
    All rows are decoded in one call.
    """
    base = np.asarray(base_code, dtype=np.float32)
    spread = np.asarray(code_std, dtype=np.float32)
    if base.ndim != 1 or spread.shape != base.shape:
        raise AecoreError(f"base_code and code_std must both be shaped (K,), got {base.shape} and {spread.shape}.")
    if steps < 2 or max_dims < 1:
        raise AecoreError(f"A traversal needs steps ≥ 2 and max_dims ≥ 1, got steps={steps}, max_dims={max_dims}.")
    dims = np.sort(np.argsort(-spread, kind="stable")[:max_dims])
    offsets = np.linspace(-TRAVERSAL_SPAN, TRAVERSAL_SPAN, steps, dtype=np.float32)
    codes = np.tile(base, (len(dims), steps, 1))
    for row, dim in enumerate(dims):
        codes[row, :, dim] = base[dim] + offsets * spread[dim]
    images = image_stack(decode(codes.reshape(-1, base.size)))
    return Traversal(images.reshape(len(dims), steps, *images.shape[1:]), offsets, dims)


def manifold_grid(
    decode: Decode,
    latent_dim: int,
    n: int = 15,
    center: float | np.ndarray | None = None,
    scale: float | np.ndarray | None = None,
) -> np.ndarray:
    """Decode an n × n grid of 2-D codes: the learned manifold (Kingma & Welling, Fig. 4; the seed report's VAE).

    Without ``center``/``scale`` the grid sits at the standard normal quantiles Φ⁻¹(linspace(0.05, 0.95, n)),
    where a VAE's prior puts its mass. For codes with no fixed prior (AAE, undercomplete), pass the mean and
    standard deviation of real codes: the grid then spans center ± 2·scale evenly on each axis.
    Returns (n, n, H, W); columns go along z1 (increasing), rows along z2 (decreasing, so "up" is up).
    """
    if latent_dim != 2:
        raise AecoreError(f"The manifold grid needs a 2-D code; this model's code has {latent_dim} dimensions.")
    if n < 2:
        raise AecoreError(f"The manifold grid needs n ≥ 2 points per axis, got {n}.")
    if center is None and scale is None:
        from scipy.stats import norm

        axis = norm.ppf(np.linspace(0.05, 0.95, n))
        z1, z2 = axis, axis
    else:
        mid = np.broadcast_to(np.asarray(0.0 if center is None else center, dtype=np.float64), (2,))
        spread = np.broadcast_to(np.asarray(1.0 if scale is None else scale, dtype=np.float64), (2,))
        if np.any(spread <= 0):
            raise AecoreError(f"The manifold grid's scale must be positive, got {spread.tolist()}.")
        unit = np.linspace(-MANIFOLD_SPAN, MANIFOLD_SPAN, n)
        z1, z2 = mid[0] + unit * spread[0], mid[1] + unit * spread[1]
    rows, columns = np.meshgrid(z2[::-1], z1, indexing="ij")
    codes = np.stack([columns.ravel(), rows.ravel()], axis=1).astype(np.float32)
    images = image_stack(decode(codes))
    return images.reshape(n, n, *images.shape[1:])
