"""What the browser tests share: a dashboard server on a free port with a run store of its own, and the
things a person does on a page (choose, type, press, wait, look)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
#: every browser test module's marks: selectable with -m browser, skipped where Chromium is not installed
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
#: how long a page may take to show what a test waits for: the suite runs on two pytest-xdist workers, so the
#: other one may be training beside the server (a wait, not a timed assertion: speed is measured in benchmarks/)
PATIENCE_MS = 90_000
BATCH_COUNT = re.compile(r"(\d+) batches · \d+ validation points")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(
    store: Path,
    log_name: str,
    extra_env: dict[str, str] | None = None,
    app: Path | None = None,
    slots: int | None = None,
) -> Iterator[str]:
    """``streamlit run app.py`` (or ``app``) on a free port over the run store ``store``; yields its URL, stops it
    afterwards. ``slots``: runs trained at once (``AECORE_MAX_JOBS``; default: the server's own choice, one a
    core). A test that trains one run at a time asks for 1: each slot's worker imports TensorFlow as the server
    starts, CPU the other tests of the suite wait for."""
    port = free_port()
    OUTPUT.mkdir(exist_ok=True)
    log = (OUTPUT / f"{log_name}.log").open("w")
    env = {**os.environ, "AECORE_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "AECORE_RUNS_DIR": str(store)}
    if slots is not None:
        env["AECORE_MAX_JOBS"] = str(slots)
    env.update(extra_env or {})
    command = [sys.executable, "-m", "streamlit", "run", str(app or "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--browser.gatherUsageStats", "false"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"the server exited; see test-output/{log_name}.log"
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not become healthy within 60 s"
            time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# ---------------------------------------------------------------------------------------------
# What a person does


def module_server(name: str):
    """A module-scoped ``server_url`` fixture: a fresh dashboard server over an empty run store, stopped after."""

    @pytest.fixture(scope="module")
    def server_url(tmp_path_factory) -> Iterator[str]:
        with dashboard_server(tmp_path_factory.mktemp(f"{name}-store"), f"{name}-server") as url:
            yield url

    return server_url


def wait_until_warm(page) -> None:
    """Wait until the server has TensorFlow loaded (its workers first, then itself): the Train page says so until
    a rerun after that, so each check changes a setting back and forth to rerun it."""
    wait_idle(page)
    page.get_by_label("Device", exact=True).wait_for()  # the caption sits under it: drawn by now if it is due
    deadline = time.monotonic() + 180
    while page.get_by_text("TensorFlow is starting", exact=False).count():
        assert time.monotonic() < deadline, "the server did not load TensorFlow within 180 s"
        page.wait_for_timeout(1000)
        field = page.get_by_label("Seed", exact=True)
        value = field.input_value()
        field.fill(str(int(value) + 1))
        field.press("Enter")
        wait_idle(page)
        field.fill(value)
        field.press("Enter")
        wait_idle(page)


#: the text elements that must fit, by what they are
CHECKED = {
    "label": 'label, [data-testid="stWidgetLabel"]',
    "caption": '[data-testid="stCaptionContainer"]',
    "metric": '[data-testid="stMetricLabel"], [data-testid="stMetricValue"]',
    "formula": ".katex-display",
}
#: every displayed element of ``CHECKED``, and every displayed element of the open sidebar with text of its own, whose
#: content is wider than its box (by more than a rounding pixel): what it is, its text (a formula's TeX) and both
#: widths. A formula's content is its glyphs: KaTeX ends every stacked formula with an empty 2 px strut
#: (``.vlist-s``), which widens its scrollWidth but draws nothing
CUT_OFF = """(checked) => {
  const ownText = (element) => [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
  const candidates = Object.entries(checked).flatMap(([kind, selector]) =>
    [...document.querySelectorAll(selector)].map((element) => [kind, element]));
  const sidebar = document.querySelector('[data-testid=stSidebar]:not([data-collapsed=true])');
  if (sidebar) candidates.push(...[...sidebar.querySelectorAll('*')].filter(ownText).map((e) => ['sidebar', e]));
  const textOf = (element) => element.querySelector('annotation')?.textContent || element.innerText;
  const contentWidth = (kind, element) => {
    if (kind !== 'formula') return element.scrollWidth;
    const glyphs = document.createRange();
    glyphs.selectNodeContents(element.querySelector('.katex-html') || element);
    return Math.round(glyphs.getBoundingClientRect().right - element.getBoundingClientRect().left);
  };
  return candidates
    .filter(([, element]) => element.checkVisibility()
      && !element.closest('[data-testid=stSidebar][data-collapsed=true]'))
    .map(([kind, element]) => ({kind, text: textOf(element).trim().replace(/\\s+/g, ' ').slice(0, 100),
                                content: contentWidth(kind, element), box: element.clientWidth}))
    .filter((item) => item.content > item.box + 1);
}"""


def new_tab(browser, url: str):
    """A tab of its own (1600×1000, downloads kept) on ``url``, its console errors recorded, once the page is idle."""
    tab = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True).new_page()
    record_console_errors(tab)
    tab.set_default_timeout(PATIENCE_MS)
    tab.goto(url)
    wait_idle(tab)
    return tab


def wait_idle(page) -> None:
    page.wait_for_selector(IDLE, timeout=PATIENCE_MS)


def record_console_errors(page) -> None:
    """Keep the tab's console errors, for ``what_the_page_shows`` (Streamlit reports a failed delta there)."""
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text[:300]))


def what_the_page_shows(page) -> str:
    """The address, the sidebar's run card, the page's notices and console errors: what a failed wait reports."""
    parts = [f"address: {page.url}", f"console errors: {getattr(page, 'console_errors', 'not recorded')}"]
    for where, selector in (
        ("sidebar", "[data-testid='stSidebar']"),
        ("notices", "[data-testid='stAlert'], [data-testid='stException']"),
        ("captions", "[data-testid='stMainBlockContainer'] [data-testid='stCaptionContainer']"),
    ):
        with contextlib.suppress(Exception):
            texts = page.locator(selector).all_inner_texts()
            parts.append(f"{where}: " + " | ".join(" ".join(text.split()) for text in texts)[:1500])
    return "\n".join(parts)


def explained(page, check: Callable[[], object]) -> None:
    """Run an ``expect`` check; on failure, add what the page shows."""
    try:
        check()
    except (AssertionError, TimeoutError, PlaywrightTimeout) as error:
        raise AssertionError(f"{error}\n{what_the_page_shows(page)}") from None


def wait_for_text(page, text: str, timeout_ms: float = PATIENCE_MS) -> None:
    """Wait for ``text``; on timeout, say what the page showed instead (a run queued, failed, or a page stuck)."""
    try:
        page.get_by_text(text).first.wait_for(timeout=timeout_ms)
    except Exception as error:
        raise AssertionError(
            f"waited {timeout_ms / 1000:.0f} s for {text!r}; the page shows\n{what_the_page_shows(page)}"
        ) from error


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, "the page shows a traceback"


def choose(page, label: str, option: str) -> None:
    """Open the select box labelled ``label`` and pick the option whose text starts with ``option``."""
    box = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text(label, exact=True))
    box.click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(option)}")).first.click()
    expect(box.get_by_role("combobox")).to_have_value(re.compile(f"^{re.escape(option)}"))
    wait_idle(page)


def type_number(page, label: str, value: float) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    wait_idle(page)


def button(page, name: str):
    """A button of the page itself (Streamlit's header has a Stop button of its own while a script runs)."""
    return page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=name, exact=True)


def batches_shown(page) -> int:
    caption = page.get_by_text(BATCH_COUNT).first
    caption.wait_for()
    return int(BATCH_COUNT.search(caption.inner_text()).group(1))


def batches_grow(page, than: int, timeout_s: float = PATIENCE_MS / 1000) -> int:
    """Wait until the loss chart's caption counts more than ``than`` batches (a run that trains adds some each
    poll; the second batch also waits for the step's compilation); the count it reached."""
    deadline = time.monotonic() + timeout_s
    while (shown := batches_shown(page)) <= than:
        assert time.monotonic() < deadline, f"the loss chart should gain points ({than} then {shown})"
        page.wait_for_timeout(250)
    return shown


def go_to(page, title: str) -> None:
    page.get_by_role("link", name=title).first.click()
    wait_idle(page)


def screenshot(page, name: str) -> None:
    """The whole page: the viewport grows to the height of Streamlit's scrolling main area first."""
    wait_idle(page)
    height = page.evaluate(
        '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"], '
        '[data-testid="stAppViewContainer"]\')].map(e => e.scrollHeight), 1000)'
    )
    page.set_viewport_size({"width": 1600, "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(800)  # plotly charts re-lay themselves out to the new size
    page.screenshot(path=str(OUTPUT / f"{name}.png"))
    page.set_viewport_size({"width": 1600, "height": 1000})
