"""Pause, Step and slow motion for a training loop, so that a class can watch one batch at a time.

The loop asks ``Pacer.steps_now`` before every call of compiled steps: at full speed it runs the call it sized to
about a quarter of a second; paused, it waits until Step grants one batch (or Continue, or Stop); in slow motion
it runs one batch per call, each at its time. Every wait is on one condition that Stop, Pause, Step, Continue and
a new pace all notify, so each answers within the call under way. A pause that outlasts ``limit_seconds`` ends
the run (``timed_out``): a forgotten pause must not hold a classroom's training slot for good.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: a paused run stops (saved, resumable) once paused this long
PAUSE_LIMIT_SECONDS = 600.0
#: slow motion runs 1 to this many batches a second
MAX_PACE = 20.0


class Pacer:
    """The loop's pace: full speed, paused (with steps granted one by one) or a number of batches a second."""

    def __init__(
        self,
        stop_event: threading.Event,
        limit_seconds: float = PAUSE_LIMIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stop = stop_event
        self._limit = limit_seconds
        self._clock = clock
        self._condition = threading.Condition()
        self.paused = False
        #: the loop has come to rest since the pause: the batches under way when it came have trained
        self.held = False
        self.pace = 0.0  # batches a second; 0 is full speed
        self.timed_out = False
        self._granted = 0
        self._paused_at = 0.0
        self._next_at = 0.0

    @property
    def limit_minutes(self) -> float:
        return self._limit / 60

    @property
    def slow(self) -> bool:
        """Whether batches train one per call (paused or in slow motion): each then refreshes the probe images."""
        return self.paused or self.pace > 0

    def pause(self) -> None:
        with self._condition:
            if not self.paused:
                self.paused, self._granted, self._paused_at = True, 0, self._clock()
            self._condition.notify_all()

    def resume(self) -> None:
        with self._condition:
            self.paused, self.held, self._granted = False, False, 0
            self._next_at = self._clock()
            self._condition.notify_all()

    def step(self) -> None:
        """One more batch while paused (a Step pressed while running is ignored: the run is already stepping)."""
        with self._condition:
            if self.paused:
                self._granted += 1
                self._paused_at = self._clock()  # a teacher who steps is not away
            self._condition.notify_all()

    def set_pace(self, batches_per_second: float) -> None:
        """``0`` for full speed, else 1 to ``MAX_PACE`` batches a second (clipped)."""
        with self._condition:
            self.pace = 0.0 if batches_per_second <= 0 else min(max(float(batches_per_second), 1.0), MAX_PACE)
            self._next_at = self._clock()
            self._condition.notify_all()

    def wake(self) -> None:
        """Stop was pressed: a waiting loop looks again at once."""
        with self._condition:
            self._condition.notify_all()

    def steps_now(self, full_speed_steps: int) -> int:
        """How many batches the loop trains in its next call: ``full_speed_steps``, or 1 (a step, a paced batch),
        or 0 once it must stop (Stop pressed, or a pause past its limit: ``timed_out``). Blocks while it waits."""
        with self._condition:
            while True:
                if self._stop.is_set():
                    return 0
                now = self._clock()
                if self.paused:
                    if self._granted:
                        self._granted -= 1
                        return 1
                    left = self._paused_at + self._limit - now
                    if left <= 0:
                        self.timed_out = True
                        self._stop.set()
                        return 0
                    self.held = True
                    self._condition.wait(left)
                elif self.pace > 0:
                    if now >= self._next_at:
                        self._next_at = max(self._next_at + 1.0 / self.pace, now)
                        return 1
                    self._condition.wait(self._next_at - now)
                else:
                    return full_speed_steps
