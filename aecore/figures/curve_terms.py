"""What a loss chart calls each term, and which terms it can draw as one curve.

A chart that draws two identical curves shows one of them: the total hides the reconstruction when no penalty
is on (α = 0 and no regulariser), the weighted β·KL hides the KL at β = 1. ``coinciding_terms`` finds those,
so the chart draws each once and names every term it stands for.
"""

from __future__ import annotations

import numpy as np

#: what each loss term's curve is, in the legend: a weighted term says its weight, so no curve is misread
TERM_LABELS = {
    "reconstruction": "reconstruction",
    "sparsity_kl": "β·Σ KL(ρ‖ρ̂ⱼ)",
    "l1": "λ·Σ|hⱼ|",
    "contractive": "λ‖∂h/∂x‖²",
    "kl": "KL(q‖p), nats",  # short: beside "reconstruction" and "total" the legend stays two rows at 1280 px
    "beta_kl": "β·KL",
    "adversarial_g": "encoder −log D(f(x))",
    "adversarial_d": "discriminator loss",
    "weight_decay": "α·Σ‖W‖²",
    "total": "total",
}


def term_label(names: list[str]) -> str:
    """The legend entry of one curve that stands for these terms: their labels joined by "="."""
    return " = ".join(TERM_LABELS.get(name, name) for name in names)


def _same(first: np.ndarray | None, second: np.ndarray | None) -> bool:
    if first is None or second is None:
        return first is second
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    return first.shape == second.shape and bool(np.allclose(first, second, rtol=1e-6, atol=0.0))


def coinciding_terms(
    batch_terms: dict[str, np.ndarray], validation_terms: dict[str, np.ndarray]
) -> dict[str, list[str]]:
    """Every term to draw, in order, with the terms its curve stands for (itself first).

    A term joins an earlier one when its values per batch and per epoch are the same to 1 part in a million; a
    term with no values yet joins nothing, so an empty chart keeps every legend entry.
    """
    drawn: dict[str, list[str]] = {}
    for name in dict.fromkeys([*batch_terms, *validation_terms]):
        values, validation = batch_terms.get(name), validation_terms.get(name)
        has_values = values is not None and np.size(values) > 0
        twin = next(
            (
                kept
                for kept in drawn
                if has_values and _same(values, batch_terms.get(kept)) and _same(validation, validation_terms.get(kept))
            ),
            None,
        )
        drawn.setdefault(twin or name, []).append(name)
    return drawn
