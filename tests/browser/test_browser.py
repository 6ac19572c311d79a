"""Browser tests: Debian's Chromium drives the running dashboard as a person would.

A module-scoped fixture starts ``streamlit run app.py`` on a free port; the tests choose a variant,
press Train, watch the live view grow, press Stop, switch pages and reload, and save a screenshot
of every page under ``test-output/`` (look at them: they are what a user sees).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    PATIENCE_MS,
    assert_no_exception,
    batches_grow,
    batches_shown,
    button,
    choose,
    explained,
    go_to,
    module_server,
    record_console_errors,
    screenshot,
    type_number,
    wait_idle,
)

#: what the Train page says as soon as a Stop took: no batch trains after it
STOPPED = re.compile(r"Stopped (during|after) epoch \d+")
pytestmark = BROWSER_MARKS


server_url = module_server("browser")


@pytest.fixture
def page(browser, server_url: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    tab = context.new_page()
    record_console_errors(tab)
    tab.set_default_timeout(PATIENCE_MS)
    opened = time.monotonic()
    tab.goto(server_url)
    button(tab, "Train").wait_for()
    tab.opened_in_seconds = time.monotonic() - opened
    wait_idle(tab)
    yield tab
    context.close()


# ---------------------------------------------------------------------------------------------
# Scenarios


def test_landing_page_opens_with_the_controls(page) -> None:
    # the first page of a fresh server, TensorFlow not imported yet: timed by benchmarks/latency.py, printed here
    print(f"first page usable {page.opened_in_seconds:.1f} s after opening the URL")
    assert page.get_by_role("heading", name="Train").first.is_visible()
    assert button(page, "Train").is_enabled()
    assert button(page, "Stop").is_disabled()
    page.locator(".katex").first.wait_for()  # the variant's loss formula
    assert_no_exception(page)
    screenshot(page, "train-before")


def test_sparse_trains_live_survives_reload_stops_and_survives_page_switch(page) -> None:
    choose(page, "Variant", "sparse")
    expect(page.get_by_text("ρ (target activation)", exact=True)).to_have_count(1)
    type_number(page, "Epochs", 200)
    type_number(page, "Batch size", 16)
    # a rerun fired while the first page was drawn once reset number inputs to their minimum (1e-5)
    expect(page.get_by_label("Learning rate", exact=True)).to_have_value("0.01")  # the sparse variant's own rate

    pressed = time.monotonic()
    button(page, "Train").click()
    first = batches_shown(page)
    first_point_seconds = time.monotonic() - pressed
    print(f"first loss point shown {first_point_seconds:.1f} s after pressing Train")
    assert button(page, "Train").is_disabled(), "a second run must not start silently"

    batches_grow(page, than=first)

    page.get_by_text("Probe images").first.wait_for()
    page.get_by_text("KL sparsity penalty").first.wait_for()
    page.locator(".js-plotly-plot").nth(3).wait_for()
    assert_no_exception(page)
    screenshot(page, "train-sparse-live")

    before_reload = batches_shown(page)
    assert "run=" in page.url, "the run is in the URL so a reload finds it"
    page.reload()
    # the idle mark may show before the reloaded page's first run has begun: wait for that run's Stop itself
    explained(page, lambda: expect(button(page, "Stop")).to_be_enabled(timeout=PATIENCE_MS))
    wait_idle(page)
    explained(page, lambda: expect(page.get_by_label("Code size", exact=True)).to_have_value("64"))  # not a minimum
    page.get_by_text("KL sparsity penalty").first.wait_for()
    batches_grow(page, than=before_reload)  # the same run, still training

    expect(button(page, "Stop")).to_be_enabled()
    button(page, "Stop").click()
    page.get_by_text(STOPPED).first.wait_for()  # at once, while its end is saved
    page.get_by_text("After training").first.wait_for()
    wait_idle(page)
    stopped_at = batches_shown(page)
    assert button(page, "Train").is_enabled()
    page.get_by_text("Model summary").first.wait_for()

    go_to(page, "About")
    page.get_by_role("heading", name="About Autoencoder Lab").wait_for()
    page.locator(".katex").nth(6).wait_for()  # every variant's formula
    assert_no_exception(page)
    screenshot(page, "about")

    go_to(page, "Train")
    page.get_by_text(STOPPED).first.wait_for()
    assert batches_shown(page) == stopped_at, "the run shown after switching back is the same run"
    page.get_by_text("KL sparsity penalty").first.wait_for()

    assert "run=" in page.url, "the run is in the URL so a reload finds it"
    page.reload()
    wait_idle(page)
    page.get_by_text(STOPPED).first.wait_for()
    assert batches_shown(page) == stopped_at
    assert_no_exception(page)
    screenshot(page, "train-sparse-stopped")


def test_vae_shows_its_traversal_and_manifold(page) -> None:
    choose(page, "Variant", "vae")
    expect(page.get_by_text("ρ (target activation)", exact=True)).to_have_count(0)
    type_number(page, "Epochs", 4)
    type_number(page, "Batch size", 32)
    pressed = time.monotonic()
    button(page, "Train").click()
    first = batches_shown(page)
    print(f"first VAE loss point shown {time.monotonic() - pressed:.1f} s after pressing Train (TensorFlow warm)")
    page.get_by_text("Latent traversal").first.wait_for()
    page.get_by_text("Decoded manifold").first.wait_for()
    page.get_by_text("per code dimension").first.wait_for()
    assert batches_shown(page) >= first
    page.get_by_text("After training").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_text("Test ELBO").first.wait_for()
    assert button(page, "Train").is_enabled()
    assert_no_exception(page)
    screenshot(page, "train-vae-finished")


def test_pause_step_slow_motion_and_a_live_change(page, server_url: str) -> None:
    page.goto(f"{server_url}/?variant=undercomplete&dataset=digits&epochs=200&batch_size=16")
    wait_idle(page)
    button(page, "Train").click()
    batches_grow(page, than=0)
    button(page, "Pause").click()
    page.get_by_text("Paused: press Step").first.wait_for()
    expect(button(page, "Step")).to_be_enabled()
    page.wait_for_timeout(1500)  # what trained before the pause took is on the chart
    held = batches_shown(page)
    page.wait_for_timeout(1500)
    assert batches_shown(page) == held, "nothing trains while paused"
    button(page, "Step").click()
    assert batches_grow(page, than=held, timeout_s=10) == held + 1, "one Step, one batch"
    page.wait_for_timeout(1000)
    assert batches_shown(page) == held + 1
    assert_no_exception(page)
    screenshot(page, "train-paused")

    page.get_by_role("combobox", name="Pace").click()
    page.get_by_role("option", name="2 batches/s").click()
    wait_idle(page)
    button(page, "Continue").click()
    page.get_by_text("Slow motion, 2 batches/s").first.wait_for()
    start = batches_shown(page)
    page.wait_for_timeout(3000)
    assert 2 <= batches_shown(page) - start <= 10, "about two batches a second"

    page.get_by_text("Live: α (weight decay) changes the run as it trains").first.wait_for()
    type_number(page, "α (weight decay)", 0.5)  # changed while it trains: marked on the loss chart
    expect(page.locator(".js-plotly-plot .annotation-text").first).to_contain_text("α 0 → 0.5")
    screenshot(page, "train-live-change")
    button(page, "Stop").click()
    page.get_by_text(STOPPED).first.wait_for()


def test_projector_mode_fits_the_loss_the_probes_and_the_variants_plot_on_one_1280_by_720_screen(
    page, server_url: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server_url}/?variant=sparse&dataset=digits&epochs=3&batch_size=64&title=Sparse+codes&present=1")
    wait_idle(page)
    assert not page.get_by_test_id("stSidebar").is_visible(), "no sidebar on a projector"
    expect(page.get_by_text("Variant", exact=True)).to_have_count(0)
    button(page, "Train").click()
    page.get_by_text("After training").first.wait_for(timeout=120_000)
    wait_idle(page)
    page.wait_for_timeout(800)
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(3)  # the loss, the probes, the KL plot: nothing else
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, f"chart {index} fits the width"
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720, f"chart {index} fits the height: {box}"
    assert_no_exception(page)
    page.mouse.move(0, 719)  # no tooltip over the page
    page.screenshot(path="test-output/projector-1280x720.png")


def hover_widths(page, chart: str) -> list[str]:
    """The line's width while plotly says the pointer is on it, then off it; waits for the highlight to be wired,
    and sends both events in the same task as that check, so no redraw can slip between them."""
    return page.wait_for_function(
        f"""() => {{ const chart = document.querySelector('{chart}');
        if (!chart || !window.__aecoreClassHoverWired || !window.__aecoreClassHoverWired(chart)) return null;
        const line = () => chart.querySelectorAll('.scatterlayer .trace')[0].querySelector('path.js-line');
        chart.emit('plotly_hover', {{points: [{{curveNumber: 0}}]}}); const on = line().style.strokeWidth;
        chart.emit('plotly_unhover', {{}}); return [on, line().style.strokeWidth]; }}"""
    ).json_value()


def test_the_class_view_shows_a_students_run_by_name(browser, page, server_url: str) -> None:
    page.goto(f"{server_url}/?variant=undercomplete&dataset=digits&epochs=3&batch_size=64&title=Warm+up")
    wait_idle(page)
    name = page.get_by_role("textbox", name="Your name")
    name.fill("Ana")
    name.press("Enter")
    wait_idle(page)
    button(page, "Train").click()
    batches_grow(page, than=0)

    teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    teacher.set_default_timeout(PATIENCE_MS)
    teacher.goto(f"{server_url}/classroom")
    teacher.get_by_role("heading", name="Class").wait_for()
    teacher.get_by_text("Ana", exact=True).first.wait_for()
    teacher.wait_for_function(
        "() => { const chart = document.querySelector('.js-plotly-plot');"
        " return chart && chart.calcdata && chart.calcdata.some(trace => trace[0].trace.name.startsWith('Ana · ')); }"
    )
    choose(teacher, "Lesson", "Warm up")
    teacher.get_by_text("Ana", exact=True).first.wait_for()
    assert_no_exception(teacher)
    chart = ".st-key-class_chart_box .js-plotly-plot"
    assert hover_widths(teacher, chart) == ["4px", ""], "the line under the pointer stands out, then goes back"
    teacher.evaluate(  # what a redraw that purges the chart does to its listeners
        f"""() => {{ const chart = document.querySelector('{chart}');
        chart.removeAllListeners('plotly_hover'); chart.removeAllListeners('plotly_unhover'); }}"""
    )
    assert hover_widths(teacher, chart) == ["4px", ""], "after a redraw, the highlight is wired again"
    page.get_by_text("After training").first.wait_for(timeout=120_000)
    teacher.wait_for_timeout(2500)  # one more poll: the finished run's last state
    screenshot(teacher, "class-view")
    teacher.context.close()
