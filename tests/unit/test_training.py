"""The training engine and the job manager: what a job publishes, Stop, failures, the queue, devices."""

import threading
import time

import numpy as np
import pytest
import tensorflow as tf
from job_support import start, wait_until

from aecore.data.registry import load_dataset
from aecore.errors import AecoreError
from aecore.jobs.manager import JobManager
from aecore.runs.snapshots import FAILED, FINISHED, QUEUED, RUNNING, STOPPED
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
from aecore.settings.validation import validate
from aecore.training.devices import available_devices, resolve_device
from aecore.training.engine import TrainingJob

#: a small dense model: a full epoch of mnist-5k takes a fraction of a second
SMALL_MODEL = ModelConfig(variant="undercomplete", hidden=(32,), latent_dim=4)
HAS_GPU = bool(tf.config.list_physical_devices("GPU"))


def job_config(epochs: int = 2, model: ModelConfig = SMALL_MODEL, **training) -> RunConfig:
    return RunConfig(dataset="mnist-5k", model=model, training=TrainingConfig(epochs=epochs, **training))


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist-5k")


@pytest.fixture(scope="module")
def finished_noisy_job(mnist) -> TrainingJob:
    """Two epochs with gaussian noise, run in a background thread as the dashboard runs them."""
    config = job_config(epochs=2).with_changes(noise={"kind": "gaussian", "level": 0.3})
    job = TrainingJob(config)
    assert job.status == QUEUED
    thread = start(job)
    thread.join(timeout=120)
    assert not thread.is_alive()
    return job


def test_a_job_publishes_every_batchs_loss_terms(finished_noisy_job, mnist):
    snapshot = finished_noisy_job.snapshot()
    assert snapshot.status == FINISHED, snapshot.message
    assert snapshot.ended and snapshot.progress == 1.0
    batches = mnist.n_train // TrainingConfig().batch_size  # the last, smaller batch is dropped
    assert snapshot.batches_per_epoch == batches
    assert set(snapshot.batch_terms) == {"reconstruction", "weight_decay", "total"}
    for values in snapshot.batch_terms.values():
        assert len(values) == 2 * batches and np.all(np.isfinite(values))
    np.testing.assert_array_equal(snapshot.batch_steps, np.arange(1, 2 * batches + 1))
    # the live curve falls: the last batches lose less than the first ones
    reconstruction = snapshot.batch_terms["reconstruction"]
    assert reconstruction[-5:].mean() < reconstruction[:5].mean()
    assert snapshot.samples_per_second > 0 and snapshot.elapsed_seconds > 0


def test_a_job_publishes_an_epoch_record_with_train_and_validation_terms(finished_noisy_job):
    history = finished_noisy_job.snapshot().epoch_history
    assert [record["epoch"] for record in history] == [1.0, 2.0]
    for record in history:
        for term in ("reconstruction", "weight_decay", "total"):
            assert np.isfinite(record[f"train_{term}"]) and np.isfinite(record[f"val_{term}"])
        assert record["seconds"] > 0
    assert history[1]["val_reconstruction"] < history[0]["val_reconstruction"]
    assert history[1]["batches"] == 2 * history[0]["batches"]


def test_a_job_publishes_a_preview_of_small_uint8_arrays(finished_noisy_job, mnist):
    preview = finished_noisy_job.snapshot().preview
    assert preview is not None and preview.epoch == 2.0
    probe_count = len(mnist.probe_images)
    for images in (preview.probe_clean, preview.probe_noisy, preview.probe_reconstruction):
        assert images.dtype == np.uint8 and images.shape == (probe_count, 28, 28)
    assert not np.array_equal(preview.probe_noisy, preview.probe_clean)  # trained with noise: the noisy input shows
    assert preview.code_points.shape == (mnist.n_val, 2) and preview.code_size == SMALL_MODEL.latent_dim
    assert preview.code_axes == ("PC 1", "PC 2") and len(preview.code_labels) == mnist.n_val
    assert np.all(np.isfinite(preview.code_points))
    np.testing.assert_array_equal(preview.code_labels, mnist.y_val)
    assert preview.mean_activation.shape == (SMALL_MODEL.latent_dim,)
    traversal = preview.traversal
    assert traversal.images.dtype == np.uint8
    assert traversal.images.shape[0] == len(traversal.dims) and traversal.images.shape[2:] == (28, 28)
    assert traversal.images.shape[1] == len(traversal.offsets)
    assert preview.manifold is None  # a 4-D code has no 2-D manifold grid


def test_a_job_publishes_test_metrics_including_the_noisy_input_baseline(finished_noisy_job):
    metrics = finished_noisy_job.snapshot().test_metrics
    assert set(metrics) == {
        "test_mse",
        "test_psnr",
        "test_psnr_noisy_input",
        "test_ssim",
        "test_ssim_noisy_input",
        "test_reconstruction",
        "test_images_unchanged_by_noise",
    }
    # a two-epoch dense model blurs: its PSNR is above the noisy input's, its SSIM need not be (docs/quality.md)
    assert 0 < metrics["test_ssim"] < 1 and 0 < metrics["test_ssim_noisy_input"] < 1
    assert metrics["test_images_unchanged_by_noise"] == 0, "Gaussian noise changes every image"
    assert 0 < metrics["test_mse"] < 0.2
    # the training loss's term: squared error summed over an image's 784 pixels, averaged over images
    assert metrics["test_reconstruction"] == pytest.approx(784 * metrics["test_mse"], rel=1e-4)
    assert metrics["test_psnr"] == pytest.approx(10 * np.log10(1 / metrics["test_mse"]), abs=3.0)
    assert all(np.isfinite(value) for value in metrics.values())


def test_a_job_keeps_its_trained_model(finished_noisy_job, mnist):
    model = finished_noisy_job.model
    assert model is not None
    assert model.run_config == finished_noisy_job.config
    assert tuple(model(mnist.probe_images).shape) == mnist.probe_images.shape


def test_a_vae_job_publishes_its_kl_per_dimension_manifold_and_test_elbo():
    job = TrainingJob(job_config(epochs=1, model=ModelConfig(variant="vae", hidden=(32,), latent_dim=2)))
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == FINISHED, snapshot.message
    assert snapshot.preview.kl_per_dimension.shape == (2,)
    assert snapshot.preview.manifold is not None and snapshot.preview.manifold.dtype == np.uint8
    assert snapshot.test_metrics["test_elbo"] < 0  # log-likelihood bound of 784 pixels, in nats
    assert set(snapshot.epoch_history[0]) >= {"train_kl", "val_kl", "val_reconstruction"}


def test_a_job_stops_after_the_steps_it_is_running_and_keeps_its_model_and_history(mnist):
    """No more than the call of steps under way trains after a Stop (how fast, in seconds, is measured by
    ``benchmarks/stop_latency.py``, not asserted here)."""
    from aecore.training.steps import MAX_STEPS_PER_CALL

    job = TrainingJob(job_config(epochs=500))
    start(job)
    wait_until(lambda: len(job.snapshot().batch_steps) >= 3)
    trained_when_asked = len(job.snapshot().batch_steps)
    job.request_stop()
    wait_until(lambda: job.snapshot().training_stopped, timeout=60.0, interval=0.005)
    assert len(job.snapshot().batch_steps) <= trained_when_asked + MAX_STEPS_PER_CALL
    wait_until(lambda: job.status != RUNNING, timeout=60.0, interval=0.005)
    snapshot = job.snapshot()
    assert snapshot.status == STOPPED, snapshot.message
    assert "Stopped" in snapshot.message and "kept" in snapshot.message
    assert snapshot.epoch < 499  # it really stopped early
    assert len(snapshot.batch_steps) >= 3
    # a stop inside an epoch records no half epoch, but the view is refreshed for the model as it is
    assert all(record["epoch"] == int(record["epoch"]) for record in snapshot.epoch_history)
    assert snapshot.preview is not None and snapshot.preview.epoch > len(snapshot.epoch_history)
    assert snapshot.test_metrics is not None
    reconstruction = job.model(mnist.probe_images).numpy()
    assert reconstruction.shape == mnist.probe_images.shape and np.all(np.isfinite(reconstruction))


def test_a_stop_pressed_while_an_epoch_ends_is_published_at_once_and_no_batch_trains_after_it():
    """An epoch's validation and preview run between two calls of steps: a Stop pressed then says so at once,
    instead of after that work (the browser's "Stopped" waited for it, up to a second on the deep model)."""
    job = TrainingJob(job_config(epochs=50))
    in_epoch_end, release = threading.Event(), threading.Event()
    finish_epoch = job._finish_epoch

    def held_epoch_end(*arguments):
        in_epoch_end.set()
        assert release.wait(60)
        finish_epoch(*arguments)

    job._finish_epoch = held_epoch_end
    start(job)
    assert in_epoch_end.wait(120)
    trained = len(job.snapshot().batch_steps)
    job.request_stop()
    snapshot = job.snapshot()  # the epoch's end is still held: nothing but request_stop can have said it
    assert snapshot.status == RUNNING and snapshot.training_stopped
    assert snapshot.message == "Stopped after epoch 1; the model trained so far is kept."
    release.set()
    wait_until(lambda: job.status != RUNNING, timeout=60.0)
    final = job.snapshot()
    assert final.status == STOPPED and final.message == snapshot.message
    assert len(final.batch_steps) == trained, "not one batch after the Stop"
    assert len(final.epoch_history) == 1 and final.preview.epoch == 1.0  # the epoch's own record and preview
    assert final.test_metrics is not None


def test_a_job_whose_loss_turns_nan_fails_with_a_message_and_keeps_its_history():
    # the VAE's exp(log σ²) overflows within a few batches at this rate (checked for several seeds)
    job = TrainingJob(job_config(epochs=2, model=ModelConfig(variant="vae"), learning_rate=1e3))
    thread = start(job)
    thread.join(timeout=120)
    snapshot = job.snapshot()
    assert snapshot.status == FAILED
    assert "learning rate" in snapshot.message and "1000" in snapshot.message
    assert "nan" in snapshot.message.lower() or "inf" in snapshot.message.lower()
    totals = snapshot.batch_terms["total"]
    assert len(totals) >= 1 and not np.isfinite(totals[-1])
    # steps run several to a call: the history still ends at the first bad batch, the one the message names
    assert all(np.isfinite(values[:-1]).all() for values in snapshot.batch_terms.values())
    assert f"epoch 1, batch {len(totals)}." in snapshot.message
    assert set(snapshot.batch_terms) == {"reconstruction", "kl", "beta_kl", "weight_decay", "total"}
    assert snapshot.test_metrics is None
    assert job.model is not None
    # the model is put back to its last finite weights (here the initial ones): it still reconstructs
    assert all(np.all(np.isfinite(weights)) for weights in job.model.get_weights())
    assert np.all(np.isfinite(job.model(load_dataset("mnist-5k").probe_images).numpy()))


def test_a_job_stopped_before_it_runs_ends_without_training():
    job = TrainingJob(job_config(epochs=1))
    job.request_stop()
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == STOPPED and "before it started" in snapshot.message
    assert job.model is None and len(snapshot.batch_steps) == 0


def test_the_same_seed_repeats_a_run_whatever_ran_before():
    def first_losses(seed_between: int | None) -> np.ndarray:
        job = TrainingJob(job_config(epochs=1))
        if seed_between is not None:
            TrainingJob(job_config(epochs=1, seed=seed_between)).run()
        job.run()
        return job.snapshot().batch_terms["total"][:20]

    np.testing.assert_allclose(first_losses(None), first_losses(None), rtol=1e-5)
    np.testing.assert_allclose(first_losses(None), first_losses(7), rtol=1e-5)


def test_the_manager_forgets_an_ended_job_but_never_a_running_one():
    manager = JobManager(max_concurrent=1)
    running = manager.submit(job_config(epochs=500))
    wait_until(lambda: running.status == RUNNING)
    manager.forget(running.job_id)
    assert manager.get(running.job_id) is running
    manager.stop(running.job_id)
    wait_until(lambda: running.snapshot().ended)
    manager.forget(running.job_id)
    assert manager.get(running.job_id) is None and manager.snapshot(running.job_id) is None


def test_the_manager_runs_one_job_at_a_time_and_queues_the_next():
    manager = JobManager(max_concurrent=1)
    first = manager.submit(job_config(epochs=500))
    wait_until(lambda: first.status == RUNNING)
    second = manager.submit(job_config(epochs=1))
    waiting = manager.snapshot(second.job_id)
    assert waiting.status == QUEUED and waiting.queue_position == 1
    assert manager.waiting_count == 1 and manager.running_count == 1
    assert manager.snapshot(first.job_id).queue_position is None
    time.sleep(0.3)
    assert second.status == QUEUED  # still waiting while the first one trains
    manager.stop(first.job_id)
    wait_until(lambda: second.snapshot().ended, timeout=60)
    assert first.status == STOPPED
    assert second.status == FINISHED
    assert len(second.snapshot().epoch_history) == 1
    assert manager.waiting_count == 0 and manager.running_count == 0


def test_a_job_stopped_while_queued_ends_without_running():
    manager = JobManager(max_concurrent=1)
    first = manager.submit(job_config(epochs=500))
    wait_until(lambda: first.status == RUNNING)
    second = manager.submit(job_config(epochs=1))
    third = manager.submit(job_config(epochs=1))
    assert manager.snapshot(third.job_id).queue_position == 2
    manager.stop(second.job_id)
    assert second.status == STOPPED  # at once, not when a worker reaches it
    assert manager.snapshot(third.job_id).queue_position == 1 and manager.waiting_count == 1
    manager.stop(first.job_id)
    wait_until(lambda: third.snapshot().ended, timeout=60)
    snapshot = manager.snapshot(second.job_id)
    assert snapshot.status == STOPPED
    assert "before it started" in snapshot.message
    assert snapshot.batch_terms == {} and snapshot.epoch_history == [] and snapshot.test_metrics is None
    assert second.model is None
    assert third.status == FINISHED


def test_the_manager_validates_a_config_at_once():
    manager = JobManager(max_concurrent=1)
    with pytest.raises(AecoreError, match="ρ"):
        manager.submit(job_config().with_changes(regularisation={"rho": 1.5}))
    assert manager.waiting_count == 0


@pytest.mark.skipif(HAS_GPU, reason="checks the message on a machine without a GPU")
def test_asking_for_a_gpu_where_there_is_none_names_the_devices():
    with pytest.raises(AecoreError) as raised:
        resolve_device("gpu")
    message = str(raised.value)
    assert "No GPU" in message and "CPU:0" in message and "'cpu'" in message
    for value in ("gpu:0", "all"):
        with pytest.raises(AecoreError, match="CPU:0"):
            resolve_device(value)
    assert [choice.value for choice in available_devices()] == ["cpu"]


@pytest.mark.skipif(HAS_GPU, reason="checks the message on a machine without a GPU")
def test_a_job_on_a_missing_gpu_fails_with_that_message():
    job = TrainingJob(job_config(epochs=1, device="gpu"))
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == FAILED
    assert "No GPU" in snapshot.message and "CPU:0" in snapshot.message
    assert snapshot.batch_terms == {}


def test_the_cpu_placement_runs_on_the_cpu():
    placement = resolve_device("cpu")
    assert placement.strategy is None and placement.device == "/CPU:0"
    with placement.scope():
        assert "CPU" in tf.constant(1.0).device


@pytest.mark.skipif(not HAS_GPU, reason="needs a GPU")
def test_a_gpu_job_trains_on_the_gpu():
    job = TrainingJob(job_config(epochs=1, device="gpu"))
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == FINISHED, snapshot.message
    assert snapshot.device == "GPU 0"
    assert "GPU" in job.model.encoder.weights[0].value.device


def test_a_dataset_replaced_under_the_same_name_trains_on_its_new_images():
    from aecore.data.registry import add_user_dataset
    from aecore.data.uploads import dataset_from_arrays
    from aecore.training.steps import dataset_tensor

    rng = np.random.default_rng(0)
    name = add_user_dataset(dataset_from_arrays(rng.random((50, 8, 8)), name="replaced"))
    first = dataset_tensor(load_dataset(name), "train")
    add_user_dataset(dataset_from_arrays(rng.random((60, 12, 12)), name="replaced"))
    second = dataset_tensor(load_dataset(name), "train")
    assert first.shape[1:3] == (8, 8) and second.shape[1:3] == (12, 12)
    job = TrainingJob(RunConfig(dataset=name, model=SMALL_MODEL, training=TrainingConfig(epochs=1, batch_size=8)))
    job.run()
    assert job.status == FINISHED, job.snapshot().message
    assert job.model.image_shape == (12, 12, 1)


def test_a_contractive_model_with_hidden_layers_trains_under_xla():
    """The chained Jacobian (a tape inside the step) compiles with XLA and gives a finite, falling loss."""
    model = ModelConfig(variant="contractive", hidden=(32,), latent_dim=8, activation="relu")
    job = TrainingJob(job_config(epochs=2, model=model, xla=True))
    job.run()
    snapshot = job.snapshot()
    assert snapshot.status == FINISHED, snapshot.message
    history = snapshot.epoch_history
    assert np.isfinite(history[-1]["val_contractive"]) and history[-1]["val_contractive"] > 0
    assert history[-1]["val_total"] < history[0]["train_total"]


def test_a_call_of_training_steps_trains_at_most_the_most_a_call_runs_and_says_how_many(mnist):
    """The engine goes by the rows a call returns: the eager first call trains one batch, a call asking for more
    than ``MAX_STEPS_PER_CALL`` trains that many, and the next call picks up where it stopped."""
    from aecore.models.build import build_model
    from aecore.training.steps import MAX_STEPS_PER_CALL, Compiled

    model = build_model(validate(job_config(epochs=1, xla=False)), mnist.x_train.shape[1:])
    batches = MAX_STEPS_PER_CALL + 12
    compiled = Compiled(model, resolve_device("cpu"))
    train = next(compiled.training_epochs(tf.constant(mnist.x_train), 4, seed=0))
    counts = []
    while sum(counts) < batches:
        terms = train(sum(counts), batches)
        counts.append(len(terms["total"]))
        assert all(len(values) == counts[-1] and np.isfinite(values).all() for values in terms.values())
        compiled._compiling.join()  # the first call starts the compiler beside it; the later ones use its loop
    assert counts == [1, MAX_STEPS_PER_CALL, 11]


def test_a_runs_first_batch_trains_eagerly_the_same_step_as_the_compiled_ones(mnist, monkeypatch):
    """A person who pressed Train sees a loss point before the steps are traced and compiled: the batches run the
    model's step eagerly (same weights after it as the compiled loop's, to float rounding) while a thread of its
    own traces and compiles the loop of steps, once, whatever the number of steps a call asks for; every batch
    after that runs in it."""
    from aecore.models.base import Autoencoder
    from aecore.models.build import build_model
    from aecore.training.steps import Compiled

    eager_calls: list[bool] = []
    step = Autoencoder.train_step

    def noted_step(model, data):
        eager_calls.append(tf.executing_eagerly())
        return step(model, data)

    monkeypatch.setattr(Autoencoder, "train_step", noted_step)
    made: list[Compiled] = []
    monkeypatch.setattr("aecore.training.engine.Compiled", lambda *args: made.append(Compiled(*args)) or made[-1])
    job = TrainingJob(job_config(epochs=2, xla=True, batch_size=64))
    job.run()
    assert job.status == FINISHED, job.snapshot().message
    assert eager_calls[0] and eager_calls.count(False) == 1  # eager batches, one trace of the loop for the others
    assert made[0].train_steps.experimental_get_tracing_count() == 1
    assert job._steps_per_call > 1  # calls of several steps each, not one step a call
    assert len(job.snapshot().batch_terms["total"]) == 2 * (len(mnist.x_train) // 64)

    images = tf.constant(mnist.x_train[:256])
    order = tf.range(256, dtype=tf.int64)[tf.newaxis]
    eager_model, compiled_model = (build_model(job.config, mnist.x_train.shape[1:]) for _ in range(2))
    placement = resolve_device("cpu")
    eagerly = Compiled(eager_model, placement)
    next(eagerly.training_epochs(images, 256, seed=0))(0, 1)  # a job's first call: eager
    eagerly._compiling.join()
    before = len(eager_calls)
    Compiled(compiled_model, placement).train_steps(images, order, tf.constant(0), tf.constant(1))
    assert eager_calls[before:] == [False]
    for moved_eagerly, moved_compiled in zip(eager_model.get_weights(), compiled_model.get_weights(), strict=True):
        np.testing.assert_allclose(moved_eagerly, moved_compiled, atol=1e-5)
