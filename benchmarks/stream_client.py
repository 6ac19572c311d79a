"""A browser tab without the browser: one Streamlit session spoken over Streamlit's own websocket protocol.

The load benchmark's lighter client. A Chromium tab on the server's own machine draws every chart and runs
plotly on every poll; with 30 of them on 2 cores the browsers, not the server, decide what is measured. This
client does what the page's JavaScript does that reaches the server, and nothing else:

- it sends ``rerun_script`` requests (the query string, the changed widgets, the fragment a widget lives in),
- it follows the page's URL (``page_info_changed``), so a run's ``?run=&key=`` stays in the session,
- it repeats every fragment's ``run_every`` (``auto_rerun``) on a timer, until a full rerun or
  ``stop_auto_rerun`` drops it,
- it reads the widgets and texts it needs from the deltas: the Train button, the "Log scale" toggle, the
  status line, the batch count, exceptions.

Widgets it does not change are not sent: the server keeps their values from the run before. Like the page,
it remembers the value it gave a widget: the server redraws the widget with its default, and the page shows
the value it holds for that widget's id.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "browser"))
from browser_support import BATCH_COUNT  # noqa: E402  the live view's batch caption, read as the browser tests read it


@dataclass
class Widget:
    id: str
    fragment_id: str
    value: bool | None = None
    disabled: bool = False


class StreamSession:
    """One session of the dashboard at ``url``, opened with the query string ``query`` (the settings)."""

    def __init__(self, url: str, query: str = "", page: str = "") -> None:
        self._socket = connect(
            url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"], max_size=None
        )
        self._lock = threading.Condition()
        self.query = query
        self._page_name = page  # a page of the app by its URL path ("" is the default page)
        self._page_hash = ""
        self._timers: dict[str, tuple[float, float]] = {}  # fragment id -> (interval, next due)
        self._cache: dict[str, ForwardMsg] = {}  # cacheable messages by hash, for later references
        self.widgets: dict[str, Widget] = {}  # by label
        #: the values this page gave its widgets, by widget id: a redrawn widget shows its value, not its default
        self._values: dict[str, bool] = {}
        #: the text of every markdown, caption and progress bar on the page, by its place in the page
        self.texts: dict[tuple[int, ...], str] = {}
        self.exceptions = 0
        self.started_runs = 0  # script runs (full or fragment) started so far
        self._idle = True  # no script run of this session is going
        self.closed = False
        threading.Thread(target=self._receive, daemon=True).start()
        threading.Thread(target=self._tick, daemon=True).start()
        self.rerun()

    # -- what a person does

    def rerun(self, states: list[WidgetState] | None = None, fragment_id: str = "", auto: bool = False) -> None:
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query
        client.page_script_hash = self._page_hash
        client.page_name = "" if self._page_hash else self._page_name
        client.widget_states.widgets.extend(states or [])
        client.fragment_id = fragment_id
        client.is_auto_rerun = auto
        try:
            self._socket.send(message.SerializeToString())
        except ConnectionClosed:
            self.closed = True

    def press(self, label: str) -> None:
        widget = self.widgets[label]
        self.rerun([WidgetState(id=widget.id, trigger_value=True)], widget.fragment_id)

    def flip(self, label: str, timeout: float) -> float | None:
        """Flip a toggle; seconds until a run that started after the flip has drawn it in its new state and
        finished (None if that did not happen in time)."""
        with self._lock:
            widget = self.widgets.get(label)
            if widget is None:
                return None
            wanted = not widget.value
            self._values[widget.id] = wanted
            # a run that starts after the flip was sent carries it; one already going (a poll) may not
            runs_before = self.started_runs
        started = time.monotonic()
        self.rerun([WidgetState(id=widget.id, bool_value=wanted)], widget.fragment_id)
        with self._lock:
            done = self._lock.wait_for(
                lambda: (
                    (shown := self.widgets.get(label)) is not None
                    and shown.value == wanted
                    and self.started_runs > runs_before
                    and self._idle
                ),
                timeout,
            )
        return time.monotonic() - started if done else None

    def wait_for(self, condition, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: condition(self), timeout)

    def close(self) -> None:
        self.closed = True
        self._socket.close()

    # -- what the page's JavaScript does

    def _receive(self) -> None:
        while not self.closed:
            try:
                data = self._socket.recv()
            except ConnectionClosed:
                self.closed = True
                break
            message = ForwardMsg()
            message.ParseFromString(data)
            if message.WhichOneof("type") == "ref_hash":
                message = self._cache.get(message.ref_hash, message)
            elif message.metadata.cacheable:
                self._cache[message.hash] = message
            with self._lock:
                self._handle(message)
                self._lock.notify_all()

    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self._page_hash = message.new_session.page_script_hash
            self.started_runs += 1
            self._idle = False
            if not message.metadata.run.fragment_ids:  # a full rerun draws the page, fragments and timers anew
                self._timers.clear()
                self.texts.clear()
        elif kind == "session_status_changed":
            self._idle = not message.session_status_changed.script_is_running
        elif kind == "script_finished":
            self._idle = True
        elif kind == "page_info_changed":
            self.query = message.page_info_changed.query_string
        elif kind == "auto_rerun":
            interval = message.auto_rerun.interval
            self._timers[message.auto_rerun.fragment_id] = (interval, time.monotonic() + interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in message.stop_auto_rerun.fragment_ids:
                self._timers.pop(fragment_id, None)
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            path = tuple(message.metadata.delta_path)
            self._read_element(message.delta.new_element, message.delta.fragment_id, path)

    def _read_element(self, element, fragment_id: str, path: tuple[int, ...]) -> None:
        kind = element.WhichOneof("type")
        if kind == "button":
            self.widgets[element.button.label] = Widget(element.button.id, fragment_id, None, element.button.disabled)
        elif kind == "checkbox":
            box = element.checkbox
            if box.set_value:
                self._values[box.id] = box.value
            self.widgets[box.label] = Widget(box.id, fragment_id, self._values.get(box.id, box.default), box.disabled)
        elif kind == "progress":
            self.texts[path] = element.progress.text
        elif kind == "markdown":
            self.texts[path] = element.markdown.body
        elif kind == "exception":
            self.exceptions += 1

    def shows(self, pattern: str | re.Pattern) -> bool:
        """Whether some text on the page matches ``pattern`` (a regular expression)."""
        return any(re.search(pattern, text) for text in list(self.texts.values()))

    @property
    def batches(self) -> int:
        """The batches the loss chart's caption counts (0 before it shows)."""
        counts = [int(match.group(1)) for text in list(self.texts.values()) if (match := BATCH_COUNT.search(text))]
        return max(counts, default=0)

    def _tick(self) -> None:
        """The fragments' timers: each due one is rerun, as the page's setInterval does."""
        while not self.closed:
            now = time.monotonic()
            with self._lock:
                due = [fragment for fragment, (_, at) in self._timers.items() if at <= now]
                for fragment in due:
                    interval, _ = self._timers[fragment]
                    self._timers[fragment] = (interval, now + interval)
            for fragment in due:
                self.rerun(fragment_id=fragment, auto=True)
            time.sleep(0.05)
