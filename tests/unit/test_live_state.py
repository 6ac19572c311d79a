"""What a live view shows agrees with itself: the elapsed time of a mirrored run never runs backwards, a preview's
epoch reads as an epoch, and the stamp a Stop is measured by travels with the run's changes."""

from __future__ import annotations

import time

from aecore.runs.snapshots import RUNNING, STOPPED
from aecore.settings.config import RunConfig
from aecore.training.live_state import START, JobState
from pages._ui.live_panels import trained_so_far


def test_a_mirrors_elapsed_time_never_runs_backwards_when_the_trainer_stops_its_clock_to_save():
    trainer, mirror = JobState(status=RUNNING), JobState()
    trainer.started = time.perf_counter() - 18.0  # 18 s of training
    cursor, changes = trainer.changes_since(START)
    mirror.apply(changes)
    shown = [mirror.elapsed_seconds()]
    time.sleep(0.05)
    shown.append(mirror.elapsed_seconds())  # the mirror's clock runs on between answers
    changes["elapsed"] -= 1.0  # the trainer froze its clock a second ago, when it began saving the run's end
    changes["status"] = STOPPED
    mirror.apply(changes)
    shown.append(mirror.elapsed_seconds())
    time.sleep(0.05)
    shown.append(mirror.elapsed_seconds())
    assert shown == sorted(shown), shown
    assert shown[-1] == shown[-2], "an ended run's time stands still"


def test_the_last_batch_stamp_and_a_stop_that_took_effect_travel_to_the_mirror_and_its_snapshot():
    trainer, mirror = JobState(status=RUNNING, last_batch_at=1234.5, training_stopped=True), JobState()
    mirror.apply(trainer.changes_since(START)[1])
    snapshot = mirror.snapshot("run", 1, RunConfig())
    assert snapshot.last_batch_at == 1234.5 and snapshot.training_stopped and snapshot.status == RUNNING


def test_a_previews_epoch_reads_as_an_epoch():
    assert trained_so_far(2.0) == "after epoch 2"
    assert trained_so_far(1.4) == "after 1.4 epochs"
