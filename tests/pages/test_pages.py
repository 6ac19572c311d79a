"""AppTest tests of every page: each renders without an exception, for every variant's controls.

AppTest runs one page per instance and runs fragments once (their timers never fire), so these
tests check what a page shows for a given state; live behaviour is in ``test_browser.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from page_support import texts
from streamlit.testing.v1 import AppTest

from aecore.data.registry import list_datasets
from aecore.settings.config import ModelConfig, RegularisationConfig, RunConfig, TrainingConfig
from aecore.settings.parameters import PARAMETERS
from aecore.settings.presets import PRESETS
from aecore.settings.variants import VARIANTS
from pages import _ui as ui

ROOT = Path(__file__).resolve().parents[2]
TRAIN_PAGE = str(ROOT / "pages" / "train.py")
ABOUT_PAGE = str(ROOT / "pages" / "about.py")
#: generous: the first run that trains imports TensorFlow
TIMEOUT = 120


def labels(at: AppTest) -> set[str]:
    widgets = [*at.selectbox, *at.slider, *at.number_input, *at.text_input, *at.toggle, *at.checkbox]
    return {widget.label for widget in widgets}


def button(at: AppTest, label: str):
    return next(widget for widget in at.button if widget.label == label)


def train_page() -> AppTest:
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def test_train_page_opens_with_the_default_variant() -> None:
    at = train_page()
    assert at.title[0].value == "Train"
    assert at.selectbox(key=ui.widget_key("variant")).value == ui.DEFAULT_VARIANT
    assert {"Variant", "Dataset", "Device", "Noise level", "α (weight decay)", "Epochs"} <= labels(at)
    assert not button(at, "Train").disabled
    assert button(at, "Stop").disabled
    assert at.latex, "the variant's loss is shown as a formula"


def test_before_a_run_the_page_shows_the_empty_loss_chart_or_the_sparse_kl_curve() -> None:
    """A chart before Train: what the run will fill (and the browser has its chart code loaded when it does)."""
    assert ui.warm_up().start().ready.wait(TIMEOUT), "TensorFlow did not start"
    at = train_page()
    assert "Loss per batch" in texts(at.markdown)
    (empty,) = at.get("plotly_chart")
    assert '"data":[]' in empty.proto.spec.replace(" ", "")
    at.selectbox(key=ui.widget_key("variant")).set_value("sparse").run()
    assert "KL sparsity penalty" in texts(at.markdown) and "Loss per batch" not in texts(at.markdown)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_variant_shows_exactly_its_controls(variant: str) -> None:
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value(variant).run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    shown = labels(at)
    defaults = ui.values_from_config(RunConfig(model=ModelConfig(variant=variant)))
    wanted = [name for name in ui.variant_parameters(variant) if VARIANTS[variant].applies(name, defaults)]
    for name in PARAMETERS:
        parameter = VARIANTS[variant].parameter(name)
        if name in wanted:
            assert parameter.label in shown, f"{variant} should show {parameter.label}"
        else:
            assert parameter.label not in shown, f"{variant} should not show {parameter.label}"
    assert VARIANTS[variant].formula in texts(at.latex)


def test_sparse_shows_rho_and_undercomplete_does_not() -> None:
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value("sparse").run()
    assert {"ρ (target activation)", "β (sparsity weight)", "α (weight decay)"} <= labels(at)
    assert "λ (L1 weight)" not in labels(at), "λ weighs the L1 penalty: not shown for the KL one"
    at.selectbox(key=ui.widget_key("sparsity")).set_value("l1").run()
    assert "λ (L1 weight)" in labels(at) and "ρ (target activation)" not in labels(at)
    at.selectbox(key=ui.widget_key("sparsity")).set_value("kl").run()
    assert at.slider(key=ui.widget_key("rho")).value == pytest.approx(0.2)
    at.selectbox(key=ui.widget_key("variant")).set_value("undercomplete").run()
    assert "ρ (target activation)" not in labels(at)
    assert "β (sparsity weight)" not in labels(at)


@pytest.mark.parametrize(
    ("variant", "wanted", "unwanted"),
    [
        ("vae", {"β (KL weight)"}, {"β (sparsity weight)"}),
        ("sparse", {"β (sparsity weight)"}, {"β (KL weight)", "λ (L1 weight)"}),  # λ: with the L1 penalty only
        ("contractive", {"λ (contractive weight)"}, {"λ (L1 weight)"}),
    ],
)
def test_each_variant_labels_its_weights_by_what_they_weigh(variant: str, wanted: set, unwanted: set) -> None:
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value(variant).run()
    assert wanted <= labels(at)
    assert not unwanted & labels(at)


def test_variant_change_brings_its_defaults() -> None:
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value("vae").run()
    assert at.text_input(key=ui.widget_key("hidden")).value == "400, 100"
    assert at.number_input(key=ui.widget_key("latent_dim")).value == 2
    assert at.toggle(key=ui.widget_key("xla")).value  # dense: XLA on, though the conv default had it off
    at.number_input(key=ui.widget_key("epochs")).set_value(7).run()
    at.selectbox(key=ui.widget_key("variant")).set_value("conv_denoising").run()
    assert not at.toggle(key=ui.widget_key("xla")).value
    assert at.slider(key=ui.widget_key("noise_level")).value == 0.2
    assert at.number_input(key=ui.widget_key("epochs")).value == 7  # what no variant sets stays
    # a variant with a training default of its own (deep: the learning rate) keeps the common ones (XLA on)
    at.selectbox(key=ui.widget_key("variant")).set_value("deep").run()
    assert at.toggle(key=ui.widget_key("xla")).value
    assert at.number_input(key=ui.widget_key("learning_rate")).value == pytest.approx(1e-3)
    at.selectbox(key=ui.widget_key("variant")).set_value("undercomplete").run()
    assert at.number_input(key=ui.widget_key("learning_rate")).value == pytest.approx(3e-3)


def test_invalid_hidden_layers_show_an_error_and_disable_train() -> None:
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value("undercomplete").run()
    at.text_input(key=ui.widget_key("hidden")).set_value("12,abc").run()
    assert not at.exception, at.exception
    assert "Hidden layers" in texts(at.error)
    assert "abc" in texts(at.error)
    assert button(at, "Train").disabled
    at.text_input(key=ui.widget_key("hidden")).set_value("12, 6").run()
    assert not at.error
    assert not button(at, "Train").disabled


def test_the_output_layer_initial_weights_and_optimizer_reach_the_run() -> None:
    """DEC's recipe from the page: a linear output refuses a probability loss, then trains with squared error."""
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value("deep").run()
    at.selectbox(key=ui.widget_key("loss")).set_value("bce").run()
    at.selectbox(key=ui.widget_key("output")).set_value("linear").run()
    assert "linear output layer" in texts(at.error) and button(at, "Train").disabled
    at.selectbox(key=ui.widget_key("loss")).set_value("mse").run()
    at.selectbox(key=ui.widget_key("init")).set_value("fan_in_uniform").run()
    at.selectbox(key=ui.widget_key("optimizer")).set_value("sgd").run()
    assert not at.error, texts(at.error)
    assert "SGD" not in texts(at.warning)  # the deep model's 1e-3 is a safe step for SGD too
    at.number_input(key=ui.widget_key("learning_rate")).set_value(0.003).run()
    assert "SGD at learning rate 0.003 can wreck the model" in texts(at.warning) and "Try 0.0013" in texts(at.warning)
    at.number_input(key=ui.widget_key("learning_rate")).set_value(0.0013).run()
    assert "SGD" not in texts(at.warning)
    button(at, "Train").click().run()
    assert not at.exception, at.exception
    entry = ui.run_registry().claim(at.session_state[ui.RUN_TOKEN_KEY], "test", at.session_state[ui.SECRET_KEY])
    config = ui.job_manager().snapshot(entry.job_id).config
    assert (config.model.output, config.model.init, config.training.optimizer) == ("linear", "fan_in_uniform", "sgd")
    assert "apply to the next run" in texts(at.info) and "changed so far" not in texts(at.info)
    at.selectbox(key=ui.widget_key("init")).set_value("glorot_uniform").run()  # not live: for the next run
    assert "(initial weights changed so far)" in texts(at.info)
    assert ui.job_manager().snapshot(entry.job_id).config.model.init == "fan_in_uniform"
    button(at, "Stop").click().run()
    wait_for_end(entry.job_id)


def test_sgd_on_the_convolutional_denoiser_is_cautioned_under_the_controls() -> None:
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value("conv_denoising").run()
    at.selectbox(key=ui.widget_key("optimizer")).set_value("sgd").run()
    assert "SGD did not train this model" in texts(at.warning) and not button(at, "Train").disabled
    at.selectbox(key=ui.widget_key("optimizer")).set_value("adam").run()
    assert "SGD" not in texts(at.warning)


def test_out_of_range_setting_shows_an_error() -> None:
    at = train_page()
    at.selectbox(key=ui.widget_key("variant")).set_value("aae").run()
    at.text_input(key=ui.widget_key("hidden")).set_value("0").run()
    assert not at.exception, at.exception
    assert "at least 1" in texts(at.error)


def test_preset_fills_the_controls() -> None:
    at = train_page()
    at.selectbox(key="preset_pick").set_value("seed-sparse").run()
    assert not at.exception, at.exception
    assert at.selectbox(key=ui.widget_key("variant")).value == "sparse"
    assert at.slider(key=ui.widget_key("rho")).value == pytest.approx(0.2)
    assert at.slider(key=ui.widget_key("beta")).value == pytest.approx(2.0)
    assert at.number_input(key=ui.widget_key("alpha")).value == pytest.approx(0.3)
    assert at.selectbox(key=ui.widget_key("reduction")).value == "sum"
    applied = texts(at.caption)
    assert "Applied" in applied and "Fig. 11" in applied and "What you should see" in applied

    at.selectbox(key="preset_pick").set_value("seed-vae-2d").run()
    assert at.selectbox(key=ui.widget_key("variant")).value == "vae"
    assert at.text_input(key=ui.widget_key("hidden")).value == "400, 100"
    assert at.number_input(key=ui.widget_key("latent_dim")).value == 2
    assert at.selectbox(key=ui.widget_key("loss")).value == "bce"

    at.selectbox(key="preset_pick").set_value("tf-tutorial-denoiser").run()
    assert at.text_input(key=ui.widget_key("channels")).value == "16, 8"
    assert at.selectbox(key=ui.widget_key("downsampling")).value == "stride"
    at.text_input(key=ui.widget_key("channels")).set_value("16, x").run()
    assert "Channels must be whole numbers" in texts(at.error)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_gives_a_valid_config(name: str) -> None:
    at = train_page()
    at.selectbox(key="preset_pick").set_value(name).run()
    assert not at.exception, at.exception
    assert at.selectbox(key=ui.widget_key("variant")).value == PRESETS[name].config.model.variant
    dataset = PRESETS[name].config.dataset
    if any(info.name == dataset and info.available for info in list_datasets()):
        assert not at.error, texts(at.error)


def test_about_page_shows_every_variant_formula() -> None:
    at = AppTest.from_file(ABOUT_PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    shown = texts(at.latex)
    for variant in VARIANTS.values():
        assert variant.formula in shown
    assert len(at.dataframe) == 2


def wait_for_end(job_id: int, seconds: float = 90.0) -> None:
    manager = ui.job_manager()
    deadline = time.monotonic() + seconds
    while not manager.snapshot(job_id).ended:
        assert time.monotonic() < deadline, "the run did not end in time"
        time.sleep(0.2)


def attached_page(config: RunConfig) -> tuple[AppTest, int]:
    """Submit a run as another tab would and open the Train page with its ``?run=`` URL (a reload)."""
    manager = ui.job_manager()
    job = manager.submit(config)
    ui.run_registry().add(job.run_id, job.job_id, "another-tab", manager)
    wait_for_end(job.job_id)
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    at.query_params[ui.QUERY_PARAM] = job.run_id
    at.run()
    assert not at.exception, at.exception
    return at, job.job_id


def test_a_reloaded_tab_shows_its_finished_sparse_run() -> None:
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="sparse", hidden=(), latent_dim=16),
        regularisation=RegularisationConfig(rho=0.2, beta=2.0),
        training=TrainingConfig(epochs=2, batch_size=64),
    )
    at, _ = attached_page(config)
    shown = texts(at.markdown)
    assert "KL sparsity penalty" in shown
    assert "whole validation set" in texts(at.caption)
    assert "Probe images" in shown
    assert "Latent traversal" in shown
    assert "Model summary" in shown
    assert len(at.get("plotly_chart")) >= 5
    assert {"Test MSE", "Test PSNR (dB)"} <= {metric.label for metric in at.metric}
    assert {"Model (.keras)", "Run archive (.zip)", "Config (JSON)", "History (CSV)"} <= {
        widget.proto.label for widget in at.get("download_button")
    }
    assert button(at, "Stop").disabled and not button(at, "Train").disabled


def test_the_log_scale_toggle_takes_every_flip_even_without_a_poll_between() -> None:
    """A finished run's page does not poll, so two flips follow each other with no rerun between: the second
    one must take too. (Unkeyed, with its value from the stored preference, the toggle became a new widget after
    each flip, and the next flip went to the old one and was lost.)"""
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="undercomplete", hidden=(), latent_dim=8),
        training=TrainingConfig(epochs=1, batch_size=64),
    )
    at, _ = attached_page(config)
    shown = []
    for _ in range(3):
        toggle = next(widget for widget in at.toggle if widget.label == "Log scale")
        toggle.set_value(not toggle.value).run()
        shown.append(next(widget for widget in at.toggle if widget.label == "Log scale").value)
    assert shown == [False, True, False]
    assert at.session_state["loss_log_scale"] is False  # kept for the next chart (another run, another page)


def test_the_references_toggle_draws_the_mean_image_and_pca_lines_on_the_loss_chart() -> None:
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="undercomplete", hidden=(), latent_dim=8),
        training=TrainingConfig(epochs=1, batch_size=64),
    )
    at, _ = attached_page(config)

    def loss_chart_lines() -> list[str]:
        chart = json.loads(at.get("plotly_chart")[0].proto.spec)
        return [trace.get("name", "") for trace in chart["data"]]

    assert not any(name.startswith(("mean image", "PCA")) for name in loss_chart_lines())
    next(widget for widget in at.toggle if widget.label == "References").set_value(True).run()
    assert not at.exception, at.exception
    lines = loss_chart_lines()
    assert any(text.startswith("mean image (mse): ") for text in lines)
    assert any(text.startswith("PCA, 8 components (mse): ") for text in lines)


def test_a_finished_vae_run_shows_its_kl_bars_and_manifold() -> None:
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="vae", hidden=(32,), latent_dim=2),
        training=TrainingConfig(epochs=2, batch_size=64),
    )
    at, _ = attached_page(config)
    shown = texts(at.markdown)
    assert "per code dimension" in shown
    assert "Decoded manifold" in shown
    # at β = 1 the KL and β·KL are one curve under both names, and the heading over it says one penalty
    assert "Penalty per batch" in shown and "Penalties per batch" not in shown
    names = {trace.get("name") for chart in at.get("plotly_chart") for trace in json.loads(chart.proto.spec)["data"]}
    assert "KL(q‖p), nats = β·KL" in names and "KL(q‖p), nats" not in names
    assert "Test ELBO (nats)" in {metric.label for metric in at.metric}
    assert "**Bernoulli** likelihood" in texts(at.caption) and "not a bound on log p(x)" in texts(at.caption)


def test_a_finished_vae_estimates_its_log_likelihood_on_request_and_keeps_it() -> None:
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="vae", hidden=(32,), latent_dim=2, loss="cb"),
        training=TrainingConfig(epochs=1, batch_size=64),
    )
    at, _ = attached_page(config)
    button(at, "Estimate log p(x) (200 samples per image)").click().run()
    assert not at.exception, at.exception
    caption = next(text for text in (c.value for c in at.caption) if "−log p(x) ≈" in text)
    gap = float(caption.split(": ")[1].split(" nats below")[0])
    assert gap >= -0.5, caption  # a density's −log p(x) may be negative; it sits below −ELBO (up to sampling noise)
    assert not any(widget.label.startswith("Estimate log p(x)") for widget in at.button), "kept, not asked again"


def test_a_failed_run_shows_its_message_as_an_error() -> None:
    config = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="aae", hidden=(16,), latent_dim=3),
        regularisation=RegularisationConfig(prior="mixture"),
        training=TrainingConfig(epochs=1, batch_size=64),
    )
    at, _ = attached_page(config)
    assert "The run failed" in texts(at.error)
    assert "mixture" in texts(at.error)


def test_train_button_starts_a_run_and_cannot_start_a_second() -> None:
    at = train_page()
    at.selectbox(key="preset_pick").set_value("seed-deep").run()
    at.selectbox(key=ui.widget_key("dataset")).set_value("digits").run()
    at.number_input(key=ui.widget_key("epochs")).set_value(200).run()  # long enough to still be going
    button(at, "Train").click().run()
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    token = at.session_state[ui.RUN_TOKEN_KEY]
    assert at.query_params[ui.QUERY_PARAM] in (token, [token])
    watch = [code.value for code in at.code if code.value.endswith(f"?run={token}")]
    assert len(watch) == 1 and "key=" not in watch[0], "the watch link names the run without its key"
    entry = ui.run_registry().claim(token, "test", at.session_state[ui.SECRET_KEY])
    assert entry.owned
    assert not ui.job_manager().snapshot(entry.job_id).ended
    assert button(at, "Train").disabled, "a second run must not start while one is going"
    assert not button(at, "Stop").disabled
    button(at, "Stop").click().run()
    wait_for_end(entry.job_id)
    at.run()
    assert not at.exception, at.exception
    assert not button(at, "Train").disabled
    assert "Model summary" in texts(at.markdown)


def test_unknown_run_in_the_url_is_ignored() -> None:
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    at.query_params[ui.QUERY_PARAM] = "no-such-run"
    at.run()
    assert not at.exception, at.exception
    assert ui.QUERY_PARAM not in at.query_params
    assert not button(at, "Train").disabled


def test_abandoned_run_is_stopped_after_the_grace_period_unless_claimed() -> None:
    class FakeManager:
        def __init__(self) -> None:
            self.stopped: list[int] = []

        def stop(self, job_id: int) -> None:
            self.stopped.append(job_id)

    registry = ui.RunRegistry()
    manager = FakeManager()
    secret = registry.add("run-1", 1, "tab-a", manager)
    registry.add("run-2", 2, "tab-a", manager)
    registry.release_session("tab-a", grace=0.2)
    assert not registry.claim("run-2", "tab-c", "a guess").owned  # a tab without the secret only watches
    assert registry.claim("run-1", "tab-b", secret).owned  # the reloaded tab takes run 1 back
    time.sleep(0.6)
    assert manager.stopped == [2]


def test_a_waiting_run_shows_its_place_in_the_queue_and_can_be_stopped() -> None:
    manager = ui.job_manager()
    long_run = RunConfig(
        dataset="digits",
        model=ModelConfig(variant="undercomplete", hidden=(16,), latent_dim=4),
        training=TrainingConfig(epochs=200, batch_size=8),
    )
    busy = [manager.submit(long_run) for _ in range(manager.max_concurrent)]
    # a slot can still be handing back an earlier test's worker: the run that waits must be the only one waiting
    deadline = time.monotonic() + 60
    while manager.waiting_count:
        assert time.monotonic() < deadline, "the busy runs did not start"
        time.sleep(0.1)
    waiting = manager.submit(long_run)
    try:
        secret = ui.run_registry().add(waiting.run_id, waiting.job_id, "another-tab", manager)
        watcher = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
        watcher.query_params[ui.QUERY_PARAM] = waiting.run_id  # a link without the key: run ids are public
        watcher.run()
        assert button(watcher, "Stop").disabled and not button(watcher, "Train").disabled
        assert "only that tab can stop it" in texts(watcher.caption)
        at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
        at.query_params[ui.QUERY_PARAM] = waiting.run_id
        at.query_params[ui.SECRET_PARAM] = secret  # the tab that started it, reloaded
        at.run()
        assert not at.exception, at.exception
        assert "position 1" in texts(at.info)
        assert button(at, "Train").disabled and not button(at, "Stop").disabled
        button(at, "Stop").click().run()
        assert not at.exception, at.exception
        assert "Stopped before it started" in texts(at.info)
        assert not button(at, "Train").disabled, "a stopped waiting run no longer blocks Train"
    finally:
        for job in [*busy, waiting]:
            manager.stop(job.job_id)
    for job in [*busy, waiting]:
        wait_for_end(job.job_id)


def test_a_finished_runs_codes_are_projected_under_a_bar_that_stop_ends(monkeypatch) -> None:
    manager = ui.job_manager()
    monkeypatch.setattr(manager, "layouts", (("pca", 2), ("umap", 2)))  # UMAP's import alone takes seconds
    job = manager.submit(
        RunConfig(
            dataset="digits",
            model=ModelConfig(variant="undercomplete", hidden=(16,), latent_dim=4),
            training=TrainingConfig(epochs=1, batch_size=64),
        )
    )
    secret = ui.run_registry().add(job.run_id, job.job_id, "another-tab", manager)
    deadline = time.monotonic() + 90
    while "of 359 codes" not in (manager.snapshot(job.job_id).laying_out or (0, ""))[1]:  # the child at work
        assert time.monotonic() < deadline, "the codes were not projected"
        time.sleep(0.05)
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    at.query_params[ui.QUERY_PARAM] = job.run_id
    at.query_params[ui.SECRET_PARAM] = secret  # the tab that started it
    at.run()
    assert not at.exception, at.exception
    bars = [bar.proto.text for bar in at.get("progress") if "Projecting codes" in bar.proto.text]
    assert len(bars) == 1 and "of 359 codes" in bars[0], bars
    assert "Finished" in at.get("progress")[0].proto.text
    assert not button(at, "Stop").disabled and not button(at, "Train").disabled
    button(at, "Stop").click().run()
    assert not at.exception, at.exception
    deadline = time.monotonic() + 10
    while manager.snapshot(job.job_id).laying_out is not None:
        assert time.monotonic() < deadline, "Stop did not end the projection"
        time.sleep(0.05)
    at.run()
    assert not [bar for bar in at.get("progress") if "Projecting codes" in bar.proto.text]
    assert button(at, "Stop").disabled


def test_projecting_a_finished_runs_codes_is_a_polling_phase_of_its_own() -> None:
    """Its start must change the live view's interval: only then does the whole page rerun, so that Train, the
    sidebar and the settings' notes stop showing the run as training."""
    from types import SimpleNamespace

    import numpy as np

    from pages._ui.live import poll_interval

    entry = ui.RunEntry("a-run", None, "this-tab")  # no job here: nothing to have been stopped
    running = SimpleNamespace(
        status="running", ended=False, laying_out=None, pace=0.0, paused=False, batch_steps=np.ones(3)
    )
    finished = SimpleNamespace(**{**vars(running), "status": "finished", "ended": True})
    projecting = SimpleNamespace(**{**vars(finished), "laying_out": (0.2, "t-SNE 2-D of 359 codes")})
    intervals = [poll_interval(snapshot, entry) for snapshot in (running, projecting, finished)]
    assert intervals[0] != intervals[1] and intervals[1] is not None and intervals[2] is None, intervals


def test_a_pause_is_a_phase_of_its_own_until_the_batches_under_way_have_trained() -> None:
    """Its end reruns the whole page: only then is Step enabled and the run said to be paused (a Step pressed while
    a call of several batches still trained once showed two batches for one Step)."""
    from types import SimpleNamespace

    import numpy as np

    from pages._ui.live import poll_interval

    entry = ui.RunEntry("a-run", None, "this-tab")
    pausing = SimpleNamespace(
        status="running", ended=False, laying_out=None, pace=0.0, paused=True, held=False, batch_steps=np.ones(3)
    )
    held = SimpleNamespace(**{**vars(pausing), "held": True})
    running = SimpleNamespace(**{**vars(pausing), "paused": False})
    intervals = [poll_interval(snapshot, entry) for snapshot in (running, pausing, held)]
    assert len(set(intervals)) == 3 and None not in intervals, intervals


def test_the_queue_notice_says_where_a_waiting_run_stands() -> None:
    from types import SimpleNamespace

    def notice(position, wait, loading=0, paused=0):
        snapshot = SimpleNamespace(queue_position=position, estimated_wait_seconds=wait)
        manager = SimpleNamespace(max_concurrent=2, backend="local", loading_count=loading, paused_count=paused)
        return ui.queue_text(snapshot, manager)

    assert notice(3, 150) == (
        "Waiting for a free trainer: **position 3** in the queue, about 2 min to wait (2 runs train at once on "
        "this server)."
    )
    assert "position 1** in the queue, about 40 s to wait" in notice(1, 40)
    # next in line for a trainer that still loads TensorFlow: no queue of other people's runs to blame
    assert notice(1, None, loading=1).startswith("A trainer is loading TensorFlow; this run starts as soon")
    assert "position 2** in the queue" in notice(2, None, loading=1)
    assert notice(None, None).startswith("Starting a worker for this run")
    # a paused run keeps its trainer: the wait says why it does not shorten
    assert notice(2, 60, paused=1).endswith(
        " 1 paused run keeps a trainer until it continues or stops (a pause ends the run after 10 minutes)."
    )


def test_each_polling_phase_of_the_live_view_is_a_fragment_of_its_own() -> None:
    """Streamlit drops a timer tick for a fragment the last full rerun did not draw, and knows a fragment by its
    function's name and place. With one fragment for every phase, a late tick of the phase before reran the view
    just after the full rerun that ended that phase, and Chromium showed a blank tab or stopped updating it."""
    from streamlit.runtime.fragment import _make_fragment_identity

    from pages._ui.live import polled_view

    phases = [ui.QUEUED_POLL_SECONDS, ui.FIRST_POINT_POLL_SECONDS, ui.POLL_SECONDS, None]
    same_place = [
        _make_fragment_identity(polled_view(interval).__wrapped__, delta_path="[0, 1, 3]", additional_hash_info="")
        for interval in phases
    ]
    assert len({identity.fragment_id for identity in same_place}) == len(phases)
    assert polled_view(ui.POLL_SECONDS) is polled_view(ui.POLL_SECONDS), "one phase keeps one fragment"


def test_streamlit_no_longer_clears_the_keras_session_after_a_page_run() -> None:
    """Streamlit 1.67 calls keras.backend.clear_session() after every run, under the feet of training threads.

    pages/_ui/runtime.py replaces that private hook; if a Streamlit upgrade renames it, this test says so.
    """
    from streamlit.runtime.scriptrunner import script_runner

    assert script_runner._clean_problem_modules is ui._close_matplotlib_figures


def test_the_preset_note_says_modified_once_a_setting_it_set_changes() -> None:
    def preset_notes(at: AppTest) -> list[str]:
        return [str(caption.value) for caption in at.caption if "seed-sparse" in str(caption.value)]

    at = train_page()
    at.selectbox(key="preset_pick").set_value("seed-sparse").run()
    assert preset_notes(at) and preset_notes(at)[0].startswith("Applied")
    at.number_input(key=ui.widget_key("batch_size")).set_value(64).run()
    (note,) = preset_notes(at)
    assert "modified" in note and "batch size" in note and not note.startswith("Applied")
    at.selectbox(key=ui.widget_key("variant")).set_value("deep").run()
    assert "variant" in preset_notes(at)[0]


def test_every_test_metric_a_run_records_has_a_label_on_the_page() -> None:
    """A metric shown under its raw key ("test_images_unchanged_by_noise") reads as unfinished."""
    import re

    source = (ROOT / "aecore" / "training" / "evaluation.py").read_text()
    recorded = set(re.findall(r'"(test_[a-z_]+)"', source)) - {"test_nll_samples"}
    assert {"test_mse", "test_images_unchanged_by_noise", "test_elbo"} <= recorded
    assert recorded <= set(ui.METRIC_LABELS)
