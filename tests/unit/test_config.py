"""RunConfig: validation with messages that say what to change, the JSON round trip, variant defaults."""

import json

import pytest

from aecore.errors import AecoreError
from aecore.settings.config import (
    SGD_SUGGESTED_RATE,
    ModelConfig,
    NoiseConfig,
    RegularisationConfig,
    RunConfig,
    TrainingConfig,
)
from aecore.settings.validation import cautions, validate
from aecore.settings.variants import COMMON_DEFAULTS, VARIANTS, resolve


def config_with(**sections) -> RunConfig:
    return RunConfig().with_changes(**sections)


@pytest.mark.parametrize(
    "sections, expected",
    [
        ({"regularisation": {"rho": 0.0}}, ["ρ", "strictly between 0 and 1", "got 0.0"]),
        ({"regularisation": {"rho": 1.0}}, ["ρ", "strictly between 0 and 1", "got 1.0"]),
        ({"regularisation": {"beta": -0.5}}, ["β", "0 or more", "got -0.5"]),
        ({"regularisation": {"alpha": -1e-4}}, ["α", "weight decay", "0 or more", "got -0.0001"]),
        ({"regularisation": {"lam": -1.0}}, ["λ", "0 or more", "got -1.0"]),
        ({"model": {"latent_dim": 0}}, ["code size", "at least 1", "got 0"]),
        ({"model": {"hidden": (64, 0)}}, ["Hidden layer 2's width", "at least 1", "got 0"]),
        ({"model": {"variant": "transformer"}}, ["Unknown variant 'transformer'", "undercomplete", "aae"]),
        ({"model": {"activation": "softmax"}}, ["Unknown activation 'softmax'", "leaky_relu"]),
        ({"model": {"loss": "huber"}}, ["Unknown reconstruction loss 'huber'", "mse", "bce", "mae"]),
        ({"model": {"dropout": 1.0}}, ["Dropout", "[0, 1)"]),
        ({"regularisation": {"sparsity": "l2"}}, ["Unknown sparsity penalty 'l2'", "kl", "l1"]),
        ({"regularisation": {"prior": "uniform"}}, ["Unknown prior 'uniform'", "normal", "mixture"]),
        ({"training": {"device": "tpu"}}, ["Unknown device 'tpu'", "cpu", "gpu", "all"]),
        ({"training": {"epochs": 0}}, ["Epochs", "at least 1", "got 0"]),
        ({"training": {"batch_size": 0}}, ["batch size", "at least 1"]),
        ({"training": {"learning_rate": 0.0}}, ["learning rate", "above 0"]),
        ({"noise": {"kind": "masking", "level": 2.0}}, ["masking", "at most 1", "got 2.0"]),
        ({"noise": {"kind": "salt_pepper", "level": 1.5}}, ["salt_pepper", "at most 1"]),
        ({"noise": {"level": -0.1}}, ["noise level", "0 or more"]),
        ({"noise": {"kind": "speckle"}}, ["Unknown noise kind 'speckle'", "gaussian"]),
        ({"model": {"output": "tanh"}}, ["Unknown output layer 'tanh'", "sigmoid", "linear"]),
        ({"model": {"init": "zeros"}}, ["Unknown initialisation 'zeros'", "glorot_uniform", "fan_in_uniform"]),
        ({"training": {"optimizer": "rmsprop"}}, ["Unknown optimizer 'rmsprop'", "adam", "sgd"]),
        (
            {"model": {"output": "linear", "loss": "bce"}},
            ["binary cross-entropy loss (bce)", "linear output", "choose the sigmoid output"],
        ),
        (
            {"model": {"output": "linear", "loss": "cb"}},
            ["continuous Bernoulli loss (cb)", "squared or absolute error"],
        ),
    ],
)
def test_validation_names_the_setting_and_its_allowed_range(sections, expected):
    with pytest.raises(AecoreError) as raised:
        validate(config_with(**sections))
    message = str(raised.value)
    for part in expected:
        assert part in message, f"{part!r} missing from {message!r}"


def test_validation_errors_are_value_errors_for_callers_that_catch_those():
    with pytest.raises(ValueError):
        validate(config_with(regularisation={"rho": 0.0}))


@pytest.mark.parametrize(
    "sections",
    [
        {"regularisation": {"rho": 0.2, "beta": 0.0, "alpha": 0.0, "lam": 0.0}},
        {"regularisation": {"rho": 1e-3}},
        {"regularisation": {"rho": 0.999}},
        {"noise": {"kind": "gaussian", "level": 2.0}},  # a noise factor, not a fraction: may exceed 1
        {"noise": {"kind": "masking", "level": 1.0}},
        {"training": {"device": "gpu:1"}},  # a well-formed name; whether it exists is checked at run time
        {"training": {"device": "all"}},
        {"model": {"hidden": ()}},
    ],
)
def test_valid_edge_values_pass(sections):
    validate(config_with(**sections))


def test_validate_returns_a_complete_config():
    config = validate(RunConfig())
    for section in ("model", "regularisation", "noise"):
        part = getattr(config, section)
        assert all(getattr(part, name) is not None for name in COMMON_DEFAULTS[section]), section
    # and validating again changes nothing
    assert validate(config) == config


def test_json_round_trip_gives_an_equal_config():
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(
            variant="sparse",
            hidden=(256, 64),
            latent_dim=16,
            activation="tanh",
            loss="bce",
            dropout=0.1,
            batch_norm=True,
        ),
        regularisation=RegularisationConfig(rho=0.2, beta=3.0, alpha=1e-4, lam=0.01, sparsity="l1"),
        noise=NoiseConfig(kind="salt_pepper", level=0.3),
        training=TrainingConfig(epochs=7, batch_size=64, learning_rate=3e-4, seed=42, device="gpu:0"),
    )
    text = config.to_json()
    assert json.loads(text)["model"]["hidden"] == [256, 64]
    restored = RunConfig.from_json(text)
    assert restored == config
    assert isinstance(restored.model.hidden, tuple)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_json_round_trip_of_every_validated_variant(variant):
    config = validate(RunConfig(model=ModelConfig(variant=variant)))
    assert RunConfig.from_json(config.to_json()) == config


def test_json_round_trip_keeps_unset_settings_unset():
    config = RunConfig()
    assert config.model.hidden is None
    assert RunConfig.from_json(config.to_json()) == config


def test_from_dict_rejects_an_unknown_section():
    data = RunConfig().to_dict()
    data["optimiser"] = {"name": "sgd"}
    with pytest.raises(AecoreError, match=r"Unknown config section.*optimiser"):
        RunConfig.from_dict(data)


def test_from_dict_rejects_an_unknown_setting_and_lists_the_known_ones():
    data = RunConfig().to_dict()
    data["model"]["width"] = 3
    with pytest.raises(AecoreError) as raised:
        RunConfig.from_dict(data)
    assert "width" in str(raised.value) and "latent_dim" in str(raised.value)


def test_from_json_rejects_text_that_is_not_json():
    with pytest.raises(AecoreError, match="not valid JSON"):
        RunConfig.from_json("{model: ")


def test_with_changes_changes_only_what_it_names():
    config = RunConfig()
    changed = config.with_changes(noise={"level": 0.2}, training={"epochs": 3})
    assert changed.noise.level == 0.2 and changed.noise.kind == config.noise.kind
    assert changed.training.epochs == 3 and changed.training.batch_size == config.training.batch_size
    assert changed.model == config.model
    assert config.noise.level is None  # frozen: the original is untouched


def test_resolve_fills_the_deep_variants_defaults():
    config = resolve(RunConfig(model=ModelConfig(variant="deep")))
    assert config.model.hidden == (400, 200, 100, 20)
    assert config.model.latent_dim == 10
    assert config.model.activation == "leaky_relu"
    assert config.model.loss == "mse"  # not set by the variant: the common default


def test_resolve_keeps_the_users_values():
    config = resolve(RunConfig(model=ModelConfig(variant="deep", hidden=(32,), latent_dim=3, activation="tanh")))
    assert config.model.hidden == (32,)
    assert config.model.latent_dim == 3
    assert config.model.activation == "tanh"


def test_resolve_keeps_an_empty_hidden_tuple_and_zero_values():
    config = resolve(
        RunConfig(
            model=ModelConfig(variant="deep", hidden=()),
            regularisation=RegularisationConfig(beta=0.0, lam=0.0),
            noise=NoiseConfig(level=0.0),
        )
    )
    assert config.model.hidden == ()
    assert config.regularisation.beta == 0.0 and config.regularisation.lam == 0.0
    assert config.noise.level == 0.0


@pytest.mark.parametrize(
    "variant, section, name, value",
    [
        ("sparse", "regularisation", "rho", 0.2),
        ("sparse", "model", "hidden", ()),
        ("conv_denoising", "noise", "level", 0.2),  # the seed paper's noise factor
        ("conv_denoising", "model", "loss", "bce"),
        ("vae", "model", "hidden", (400, 100)),
        ("vae", "model", "latent_dim", 2),
        ("aae", "model", "latent_dim", 2),
        ("undercomplete", "model", "hidden", (128, 64)),
        ("undercomplete", "model", "latent_dim", 32),
    ],
)
def test_resolve_uses_each_variants_own_defaults(variant, section, name, value):
    config = resolve(RunConfig(model=ModelConfig(variant=variant)))
    assert getattr(getattr(config, section), name) == value


@pytest.mark.parametrize(
    "sections",
    [
        {"model": {"latent_dim": 2.5}},
        {"model": {"latent_dim": "8"}},
        {"training": {"epochs": 2.5}},
        {"training": {"batch_size": 32.5}},
    ],
)
def test_whole_number_settings_reject_fractions_and_text_with_a_clear_message(sections):
    with pytest.raises(AecoreError):
        validate(config_with(**sections))


def test_the_learning_rate_is_a_variant_default_the_deep_model_learns_slower():
    """The deep model's codes cluster better at 1e-3 (benchmarks/quality.py); the others keep the brisk 3e-3."""
    assert validate(RunConfig(model=ModelConfig(variant="deep"))).training.learning_rate == 1e-3
    assert validate(RunConfig(model=ModelConfig(variant="undercomplete"))).training.learning_rate == 3e-3
    chosen = RunConfig(model=ModelConfig(variant="deep"), training=TrainingConfig(learning_rate=0.01))
    assert validate(chosen).training.learning_rate == 0.01


@pytest.mark.parametrize(
    ("training", "reduction", "warned"),
    [
        ({"optimizer": "sgd", "learning_rate": 3e-3}, "mean", True),  # Adam's default rate, left as it was
        ({"optimizer": "sgd", "learning_rate": 1 / 784}, "mean", False),  # DEC's rate
        ({"optimizer": "sgd", "learning_rate": 1 / 784, "batch_size": 32}, "sum", True),  # 32 times the step
        ({"optimizer": "adam", "learning_rate": 3e-3}, "sum", False),
    ],
)
def test_sgd_at_a_rate_that_wrecks_the_model_is_cautioned_with_a_rate_that_trains(training, reduction, warned):
    config = validate(RunConfig().with_changes(training=training, model={"reduction": reduction}))
    notes = cautions(config)
    assert bool(notes) == warned
    if warned:
        suggested = SGD_SUGGESTED_RATE / (config.training.batch_size if reduction == "sum" else 1)
        assert f"Try {suggested:.2g}" in notes[0] and "784" in notes[0]


@pytest.mark.parametrize("learning_rate", [1 / 784, 3e-3])
def test_sgd_on_the_convolutional_denoiser_is_cautioned_at_any_rate(learning_rate):
    """Measured: SGD left the seed's conv model under the mean image at every rate tried, so even DEC's rate, fine
    for the dense models, gets the variant's own caution (and only that one)."""
    sgd = {"optimizer": "sgd", "learning_rate": learning_rate}
    notes = cautions(validate(RunConfig(model=ModelConfig(variant="conv_denoising"), training=TrainingConfig(**sgd))))
    assert len(notes) == 1 and "did not train this model" in notes[0] and "Use Adam" in notes[0]
    adam = RunConfig(model=ModelConfig(variant="conv_denoising"), training=TrainingConfig(optimizer="adam"))
    assert cautions(validate(adam)) == []
