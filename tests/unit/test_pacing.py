"""Pause, Step and slow motion: the pacer's answers, and a paused, stepped run that learns exactly as one that ran
straight through."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from job_support import start, wait_until

from aecore.runs.snapshots import RUNNING, STOPPED
from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig
from aecore.training import pacing
from aecore.training.engine import TrainingJob
from aecore.training.pacing import MAX_PACE, Pacer

SMALL_MODEL = ModelConfig(variant="undercomplete", hidden=(32,), latent_dim=4)


def answer_in_thread(pacer: Pacer, full_speed: int = 8) -> tuple[threading.Thread, list[int]]:
    answers: list[int] = []
    thread = threading.Thread(target=lambda: answers.append(pacer.steps_now(full_speed)), daemon=True)
    thread.start()
    return thread, answers


def test_full_speed_runs_the_call_the_loop_sized() -> None:
    assert Pacer(threading.Event()).steps_now(8) == 8


def test_paused_the_loop_waits_for_a_step_then_trains_one_batch() -> None:
    pacer = Pacer(threading.Event())
    pacer.pause()
    assert not pacer.held, "the call under way when Pause came has not ended: the run is pausing, not held"
    thread, answers = answer_in_thread(pacer)
    thread.join(0.3)
    assert thread.is_alive() and not answers, "paused, the loop waits"
    assert pacer.held, "the loop came to rest: a Step now trains exactly one batch"
    pacer.step()
    thread.join(5)
    assert answers == [1] and pacer.held
    pacer.step()
    pacer.step()
    assert [pacer.steps_now(8), pacer.steps_now(8)] == [1, 1], "steps granted while it trained are kept"
    pacer.resume()
    assert pacer.steps_now(8) == 8 and not pacer.slow and not pacer.held


@pytest.mark.parametrize("paced", [False, True])
def test_stop_ends_a_wait_at_once(paced: bool) -> None:
    stop = threading.Event()
    pacer = Pacer(stop)
    if paced:
        pacer.set_pace(1)
        assert pacer.steps_now(8) == 1  # the first paced batch at once, the next a second later
    else:
        pacer.pause()
    thread, answers = answer_in_thread(pacer)
    thread.join(0.2)
    stop.set()
    pacer.wake()
    thread.join(0.5)
    assert answers == [0]


def test_a_pause_past_its_limit_stops_the_run() -> None:
    stop = threading.Event()
    pacer = Pacer(stop, limit_seconds=0.3)
    pacer.pause()
    assert pacer.steps_now(8) == 0
    assert pacer.timed_out and stop.is_set()


def test_slow_motion_trains_one_batch_at_each_tick_and_clips_its_pace() -> None:
    pacer = Pacer(threading.Event())
    pacer.set_pace(10)
    started = time.monotonic()
    assert [pacer.steps_now(8) for _ in range(6)] == [1] * 6
    assert time.monotonic() - started >= 0.45, "six batches at 10 a second take half a second"
    pacer.set_pace(0.2)
    assert pacer.pace == 1.0
    pacer.set_pace(500)
    assert pacer.pace == MAX_PACE
    pacer.set_pace(0)
    assert pacer.steps_now(8) == 8


def test_a_paused_and_stepped_run_learns_as_one_that_ran_straight_through() -> None:
    config = RunConfig(dataset="mnist-5k", model=SMALL_MODEL, training=TrainingConfig(epochs=1, batch_size=256))
    straight = TrainingJob(config)
    straight.run()

    stepped = TrainingJob(config)
    stepped.pause()  # before it starts: it trains nothing until stepped
    thread = start(stepped)
    probes = []
    for count in range(1, 6):
        stepped.step()  # each Step trains one batch
        wait_until(lambda count=count: len(stepped.snapshot().batch_steps) >= count and stepped.snapshot().preview)
        time.sleep(0.05)  # nothing more trains while it stays paused
        snapshot = stepped.snapshot()
        assert len(snapshot.batch_steps) == count and snapshot.paused and snapshot.status == RUNNING
        probes.append(snapshot.preview.probe_reconstruction)
    assert all(not np.array_equal(before, after) for before, after in zip(probes, probes[1:], strict=False)), (
        "every step refreshes the probe images"
    )
    stepped.resume()
    thread.join(120)
    expected, got = straight.snapshot().batch_terms, stepped.snapshot().batch_terms
    assert set(got) == set(expected)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, err_msg=name)


def test_a_forgotten_pause_stops_the_run_saved_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(pacing, "PAUSE_LIMIT_SECONDS", 0.5)
    config = RunConfig(dataset="mnist-5k", model=SMALL_MODEL, training=TrainingConfig(epochs=50))
    job = TrainingJob(config)
    thread = start(job)
    wait_until(lambda: len(job.snapshot().batch_steps) >= 2)
    job.pause()
    assert job.snapshot().paused
    wait_until(lambda: job.snapshot().held)  # the snapshot says when the pause took effect
    thread.join(60)
    snapshot = job.snapshot()
    assert snapshot.status == STOPPED
    assert "paused for over" in snapshot.message and "resume it from the Runs page" in snapshot.message
    assert snapshot.test_metrics is not None, "the model trained so far is evaluated and kept"
