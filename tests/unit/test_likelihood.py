"""The VAE's importance-sampled log-likelihood against a model where log p(x) has a closed form: a linear-Gaussian
decoder p(x|z) = N(Wz + b, I) under a standard normal prior, so p(x) = N(b, WWᵀ + I)."""

import numpy as np
import tensorflow as tf

from aecore.models import losses

RNG = np.random.default_rng(4)
PIXELS, LATENT, IMAGES = 6, 2, 5
#: orthogonal columns: WᵀW is diagonal, so the exact posterior has the diagonal covariance a VAE's encoder gives
W = np.linalg.qr(RNG.normal(size=(PIXELS, LATENT)))[0] * np.array([2.0, 0.7])
B = RNG.normal(size=PIXELS)
X = RNG.normal(size=(IMAGES, PIXELS)) + B


def exact_log_likelihood(x: np.ndarray) -> np.ndarray:
    covariance = W @ W.T + np.eye(PIXELS)
    _, log_det = np.linalg.slogdet(covariance)
    centred = x - B
    quadratic = np.einsum("ij,jk,ik->i", centred, np.linalg.inv(covariance), centred)
    return -0.5 * (PIXELS * np.log(2 * np.pi) + log_det + quadratic)


def posterior(x: np.ndarray, variance_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The exact q(z|x) of this model (its variance scaled to make it wrong on purpose)."""
    precision = np.eye(LATENT) + W.T @ W
    covariance = np.linalg.inv(precision)
    mean = (x - B) @ W @ covariance  # covariance is symmetric
    return mean, np.log(np.tile(np.diag(covariance), (len(x), 1)) * variance_scale)


def estimate(samples: int, variance_scale: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The importance-weighted estimate, and the mean of its one-sample terms (the ELBO's estimate)."""
    mean, log_variance = posterior(X, variance_scale)
    noise = np.random.default_rng(seed).normal(size=(samples, IMAGES, LATENT))
    z = mean[None] + np.exp(0.5 * log_variance)[None] * noise
    reconstruction = z @ W.T + B
    log_p_x_given_z = -0.5 * (np.sum((X[None] - reconstruction) ** 2, axis=-1) + PIXELS * np.log(2 * np.pi))
    args = [tf.constant(a, tf.float64) for a in (log_p_x_given_z, z, mean, log_variance)]
    weighted = losses.importance_weighted_log_likelihood(*args).numpy()
    single = [losses.importance_weighted_log_likelihood(*[a[k : k + 1] for a in args[:2]], *args[2:]) for k in range(3)]
    return weighted, np.mean([s.numpy() for s in single], axis=0)


def test_with_the_true_posterior_every_sample_gives_log_p_x_exactly():
    weighted, _ = estimate(samples=4, variance_scale=1.0)
    np.testing.assert_allclose(weighted, exact_log_likelihood(X), rtol=1e-9, atol=1e-9)


def test_with_a_wrong_posterior_many_samples_approach_log_p_x_from_below_the_bound():
    few, elbo = estimate(samples=1, variance_scale=3.0)
    many, _ = estimate(samples=20_000, variance_scale=3.0)
    exact = exact_log_likelihood(X)
    np.testing.assert_allclose(many, exact, atol=0.02)
    assert np.all(many - exact < 0.02) and np.mean(exact - few) > np.mean(exact - many)


def test_the_estimate_is_never_below_the_mean_of_its_one_sample_terms():
    mean, log_variance = posterior(X, 3.0)
    z = mean[None] + np.exp(0.5 * log_variance)[None] * np.random.default_rng(9).normal(size=(50, IMAGES, LATENT))
    log_p = -0.5 * (np.sum((X[None] - (z @ W.T + B)) ** 2, axis=-1) + PIXELS * np.log(2 * np.pi))
    args = [tf.constant(a, tf.float64) for a in (log_p, z, mean, log_variance)]
    weighted = losses.importance_weighted_log_likelihood(*args).numpy()
    terms = [losses.importance_weighted_log_likelihood(args[0][k : k + 1], args[1][k : k + 1], *args[2:]).numpy()
             for k in range(50)]  # fmt: skip
    assert np.all(weighted >= np.mean(terms, axis=0) - 1e-12), "log-mean-exp ≥ mean (Jensen): NLL never above −ELBO"


def test_train_and_evaluate_add_the_estimate_below_the_bound_and_refuse_what_has_no_likelihood(
    tmp_path, capsys, monkeypatch
):
    import json

    from cli_support import run_cli

    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path / "store"))
    code, out, err = run_cli(
        capsys, "train", "--variant", "vae", "--loss", "cb", "--dataset", "digits", "--epochs", "2", "--batch-size",
        "64", "--nll", "40", "--json",
    )  # fmt: skip
    trained = json.loads(out.strip().splitlines()[-1])
    assert code == 0, err
    assert np.isfinite(trained["test_nll"]) and trained["test_nll"] < -trained["test_elbo"] + 0.5, trained
    code, out, _ = run_cli(capsys, "evaluate", trained["run_id"], "--nll", "40", "--json")
    assert code == 0 and np.isclose(json.loads(out)["test_nll"], trained["test_nll"]), "the same draws, the same figure"
    code, out, _ = run_cli(capsys, "runs", "show", trained["run_id"], "--json")
    assert "test_nll" in json.loads(out)["metrics"]

    code, _, err = run_cli(capsys, "train", "--variant", "sparse", "--dataset", "digits", "--nll", "10")
    assert code == 2 and "is the VAE's" in err
    code, _, err = run_cli(capsys, "train", "--variant", "vae", "--loss", "bce", "--dataset", "digits", "--nll", "10")
    assert code == 2 and "not a density" in err
    code, _, err = run_cli(capsys, "evaluate", trained["run_id"])
    assert code == 2 and "--nll K" in err


def test_each_image_s_negative_log_likelihood_averages_to_the_batch_s():
    rng = np.random.default_rng(2)
    target = rng.random((5, 4, 4, 1)).astype("float32")
    reconstruction = rng.uniform(0.05, 0.95, (5, 4, 4, 1)).astype("float32")
    for loss in ("cb", "mse", "mae", "bce"):
        each = losses.per_image_negative_log_likelihood(target, reconstruction, loss).numpy()
        batch = float(losses.negative_log_likelihood(target, reconstruction, loss))
        assert each.shape == (5,) and np.isclose(each.mean(), batch, rtol=1e-5), loss
