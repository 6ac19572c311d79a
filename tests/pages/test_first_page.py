"""The dashboard's first page on a just-started server: its heading is sent before the modules that take a fresh
process a few tenths of a second to import (``benchmarks/latency.py`` times it against a one-line app)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: run in a fresh interpreter (this one has imported them all): app.py's first run through AppTest, noting which of
#: the slow imports were already done when the Train page's title was drawn
FIRST_RUN = """
import json, sys
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

SLOW = ("aecore", "pages._ui", "PIL.Image")
at_title = []
draw_title = DeltaGenerator.title

def noted_title(self, body, *args, **kwargs):
    if not at_title:
        at_title.append([name for name in SLOW if name in sys.modules])
    return draw_title(self, body, *args, **kwargs)

DeltaGenerator.title = noted_title
app = AppTest.from_file(sys.argv[1], default_timeout=120).run()
print(json.dumps({
    "imported_at_title": at_title[0],
    "titles": [title.value for title in app.title],
    "sidebar_inputs": [field.label for field in app.sidebar.text_input],
    "sidebar_text": [text.value for text in app.sidebar.markdown],
    "exceptions": [str(exception.value) for exception in app.exception],
}))
"""


def test_the_train_page_title_comes_before_the_slow_imports_and_the_frame_after_it(tmp_path) -> None:
    env = {**os.environ, "AECORE_RUNS_DIR": str(tmp_path / "runs"), "AECORE_OFFLINE": "1"}
    finished = subprocess.run(
        [sys.executable, "-c", FIRST_RUN, str(ROOT / "app.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-2000:]
    shown = json.loads(finished.stdout.strip().splitlines()[-1])
    assert shown["exceptions"] == []
    assert shown["imported_at_title"] == [], "the heading waited for numpy, PIL or the dashboard's modules"
    assert shown["titles"] == ["Train"]
    # the frame still comes, after the page: the sidebar's run card and the student's name
    assert shown["sidebar_inputs"] == ["Your name"]
    assert "### Current run" in shown["sidebar_text"] and "**No run yet**" in shown["sidebar_text"]
