"""The Train page's layout on laptop screens, in Chromium: once Train is pressed the loss curve and the probe
images show together without scrolling, the loss formula stays one click away, and no formula is cut off.

A class watches the live view on a projector or a laptop: charts below the fold or formulas cut at the right edge
are what they see first, and Streamlit's own tests cannot see either (they have no layout).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    PATIENCE_MS,
    assert_no_exception,
    button,
    choose,
    module_server,
    type_number,
    wait_idle,
)

from aecore.settings.variants import VARIANTS  # noqa: E402

pytestmark = BROWSER_MARKS

#: the first chart after a heading: the chart that heading introduces
CHART_AFTER = "xpath=following::div[contains(@class, 'js-plotly-plot')][1]"
#: the Train page's formula box (its label names the variant)
FORMULA_BOX = "[data-testid='stExpander']:has-text('the loss it minimises')"
#: where an element lies on the screen, and the bottom of Streamlit's fixed top bar (the page scrolls under it)
PLACEMENT = """(element) => {
  const box = element.getBoundingClientRect();
  const header = document.querySelector('[data-testid=stHeader]');
  return {top: box.top, bottom: box.bottom, left: box.left, right: box.right,
          headerBottom: header ? header.getBoundingClientRect().bottom : 0,
          width: window.innerWidth, height: window.innerHeight};
}"""
#: the TeX source of every visible formula whose glyphs reach past the block it stands in (st.latex's box is only
#: as wide as its formula, and a wider one is cut or scrolls inside it)
CLIPPED_FORMULAS = """() => [...document.querySelectorAll('[data-testid=stMain] .katex')]
  .filter((formula) => formula.checkVisibility())
  .filter((formula) => {
    const glyphs = document.createRange();
    glyphs.selectNodeContents(formula.querySelector('.katex-html') || formula);
    const drawn = glyphs.getBoundingClientRect();
    const room = formula.closest('[data-testid=stVerticalBlock]').getBoundingClientRect();
    return drawn.left < room.left - 1 || drawn.right > room.right + 1;
  })
  .map((formula) => formula.querySelector('annotation')?.textContent || formula.textContent)"""


server_url = module_server("layout")


@pytest.fixture
def open_train(browser, server_url: str) -> Iterator[object]:
    """Opens the Train page in a fresh tab (a session of its own) at a given screen size."""
    contexts = []

    def open_at(width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.goto(server_url)
        button(page, "Train").wait_for()
        wait_idle(page)
        return page

    yield open_at
    for context in contexts:
        context.close()


def scroll_to_top(page) -> None:
    page.evaluate(
        "() => document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')"
        ".forEach((scroller) => scroller.scrollTo(0, 0))"
    )


def chart(page, heading: str):
    return page.get_by_text(heading).first.locator(CHART_AFTER)


def train_one_epoch(page, variant: str | None) -> None:
    """Choose the variant, press Train at the top of the page (where a person finds it) and wait for the run's end."""
    if variant:
        choose(page, "Variant", variant)
    type_number(page, "Epochs", 1)
    scroll_to_top(page)
    button(page, "Train").click()
    chart(page, "Probe images").wait_for()
    page.get_by_text("After training").first.wait_for()
    wait_idle(page)
    scroll_to_top(page)
    page.wait_for_timeout(500)  # plotly lays its charts out after they are attached


def assert_on_screen(page, heading: str) -> None:
    where = chart(page, heading).evaluate(PLACEMENT)
    assert where["bottom"] > where["top"], f"the chart under {heading!r} is not drawn"
    assert where["top"] >= where["headerBottom"] - 1 and where["bottom"] <= where["height"] + 1, (
        f"the chart under {heading!r} spans y {where['top']:.0f}–{where['bottom']:.0f}: outside the screen "
        f"({where['headerBottom']:.0f}–{where['height']})"
    )
    assert where["left"] >= 0 and where["right"] <= where["width"] + 1, f"{heading!r} is cut at the side: {where}"


def formula_one_click_away(page) -> None:
    """While a run shows, the formula box is folded, and one click on its header shows the formula."""
    box = page.locator(FORMULA_BOX)
    formula = box.locator(".katex").first
    expect(formula).not_to_be_visible()
    box.locator("summary").click()
    expect(formula).to_be_visible()


#: the narrowest screen, where space is shortest, with the default variant and the sparse one (its KL formula and
#: ρ̂ chart), and a wider screen with the sparse one (the default's at 1440 px took 20 s of CI's time for little more)
@pytest.mark.parametrize(
    "width, height, variant",
    [(1280, 720, None), (1280, 720, "sparse"), (1440, 900, "sparse")],
    ids=["1280x720-default", "1280x720-sparse", "1440x900-sparse"],
)
def test_loss_chart_and_probe_images_show_together_once_train_is_pressed(
    open_train, variant: str | None, width: int, height: int
) -> None:
    page = open_train(width, height)
    train_one_epoch(page, variant)
    assert_no_exception(page)
    assert_on_screen(page, "Loss per batch")
    assert_on_screen(page, "Probe images")
    formula_one_click_away(page)
    if width == 1280:  # the narrowest screen: the live view's formulas too (the sparse KL, the summary's)
        assert page.evaluate(CLIPPED_FORMULAS) == []


def test_no_formula_is_cut_at_1280_pixels(open_train) -> None:
    page = open_train(1280, 720)
    clipped = {}
    for name in VARIANTS:
        choose(page, "Variant", name)
        box = page.locator(FORMULA_BOX)
        expect(box).to_contain_text(VARIANTS[name].title)  # the new variant's box, not the last one's
        expect(box.locator(".katex").first).to_be_visible()  # before a run: shown at once
        clipped[name] = page.evaluate(CLIPPED_FORMULAS)
    train_one_epoch(page, "vae")  # the VAE's live KL formula (the sparse one is checked above)
    formula_one_click_away(page)
    clipped["vae, trained"] = page.evaluate(CLIPPED_FORMULAS)
    assert {name: formulas for name, formulas in clipped.items() if formulas} == {}
