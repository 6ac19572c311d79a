"""What mattered: a setting that drives the metric beats a random dummy's 95th percentile; one that does nothing
does not, and the sentence says so."""

import numpy as np
import pytest

from aecore.errors import AecoreError
from aecore.sweeps.importance import encoded, setting_importance


def synthetic_sweep(seeds: int = 3) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A 4 × 4 grid of β and ρ with ``seeds`` seeds: the loss follows β, ρ does nothing, the seed adds noise."""
    rng = np.random.default_rng(11)
    beta, rho = np.meshgrid([0.5, 1.0, 2.0, 4.0], [0.05, 0.1, 0.2, 0.4])
    beta, rho = np.repeat(beta.ravel(), seeds), np.repeat(rho.ravel(), seeds)
    loss = 10.0 + 2.0 * np.log(beta) + rng.normal(0.0, 0.3, beta.size)
    return {"beta": beta, "rho": rho}, loss


def test_the_setting_that_drives_the_metric_mattered_and_the_other_did_not():
    settings, loss = synthetic_sweep()
    found = setting_importance(settings, loss, "reconstruction")
    by_name = {setting.name: setting for setting in found.settings}
    assert found.runs == 48 and [setting.name for setting in found.settings] == ["beta", "rho"]
    assert by_name["beta"].mattered and by_name["beta"].rank_correlation > 0.9
    assert not by_name["rho"].mattered and abs(by_name["rho"].rank_correlation) < 0.3
    assert by_name["beta"].importance > found.dummy_p95 >= by_name["rho"].importance
    sentence = found.sentence({"beta": "β", "rho": "ρ"})
    assert sentence == "β mattered; ρ did not, beyond the spread a random setting shows across these runs."
    assert found.to_dict()["settings"][0]["name"] == "beta"


def test_pure_noise_matters_nowhere():
    settings, _ = synthetic_sweep()
    noise = np.random.default_rng(5).normal(size=settings["beta"].size)
    found = setting_importance(settings, noise)
    assert not any(setting.mattered for setting in found.settings), found
    assert found.sentence().startswith("No setting mattered beyond")


def test_too_few_runs_or_nothing_varying_is_said_plainly():
    with pytest.raises(AecoreError, match="at least 6 finished runs"):
        setting_importance({"beta": np.arange(4.0)}, np.arange(4.0))
    with pytest.raises(AecoreError, match="No setting varies"):
        setting_importance({"beta": np.ones(10)}, np.arange(10.0))


def test_choices_and_widths_are_ranked_by_their_text():
    assert encoded(["relu", "tanh", "relu"]).tolist() == [0.0, 1.0, 0.0]
    assert encoded([(128, 64), (256,), (128, 64)]).tolist() == [0.0, 1.0, 0.0]
    assert encoded([0.1, 2, 3.5]).tolist() == [0.1, 2.0, 3.5]
