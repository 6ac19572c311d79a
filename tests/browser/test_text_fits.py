"""No text is cut off on any page at a laptop's 1280 px: labels, captions, metrics, formulas and the sidebar's text
all fit the box Streamlit gives them.

A label cut to "Same class, code sp…" or a formula that scrolls sideways reads as a bug on a projector, and
Streamlit's own tests cannot see it (they have no layout). The explore pages are opened over a store with finished
runs, so they show their real content, not an empty state.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    PATIENCE_MS,
    assert_no_exception,
    dashboard_server,
    wait_idle,
    wait_until_warm,
)
from test_accessibility import PAGE_PATHS, SETTLED  # noqa: E402  (the same pages, in the same order)

pytestmark = BROWSER_MARKS

#: the text elements that must fit, by what they are
CHECKED = {
    "label": 'label, [data-testid="stWidgetLabel"]',
    "caption": '[data-testid="stCaptionContainer"]',
    "metric": '[data-testid="stMetricLabel"], [data-testid="stMetricValue"]',
    "formula": ".katex-display",
}
#: every displayed element of ``CHECKED``, and every displayed element of the sidebar with text of its own, whose
#: content is wider than its box (by more than a rounding pixel): what it is, its text (a formula's TeX) and both
#: widths. A formula's content is its glyphs: KaTeX ends every stacked formula with an empty 2 px strut
#: (``.vlist-s``), which widens its scrollWidth but draws nothing
CUT_OFF = """(checked) => {
  const ownText = (element) => [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim());
  const candidates = Object.entries(checked).flatMap(([kind, selector]) =>
    [...document.querySelectorAll(selector)].map((element) => [kind, element]));
  const sidebar = document.querySelector('[data-testid=stSidebar]');
  if (sidebar) candidates.push(...[...sidebar.querySelectorAll('*')].filter(ownText).map((e) => ['sidebar', e]));
  const textOf = (element) => element.querySelector('annotation')?.textContent || element.innerText;
  const contentWidth = (kind, element) => {
    if (kind !== 'formula') return element.scrollWidth;
    const glyphs = document.createRange();
    glyphs.selectNodeContents(element.querySelector('.katex-html') || element);
    return Math.round(glyphs.getBoundingClientRect().right - element.getBoundingClientRect().left);
  };
  return candidates
    .filter(([, element]) => element.checkVisibility())
    .map(([kind, element]) => ({kind, text: textOf(element).trim().replace(/\\s+/g, ' ').slice(0, 100),
                                content: contentWidth(kind, element), box: element.clientWidth}))
    .filter((item) => item.content > item.box + 1);
}"""


@pytest.fixture(scope="module")
def laptop_tab(browser, explore_store) -> Iterator[object]:
    """One dashboard server over the store with finished runs, and one tab at 1280×720 that visits each page."""
    root, _ = explore_store
    with dashboard_server(root, "text-fits-server", {"AECORE_MAX_JOBS": "1"}) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=url)
        page = context.new_page()
        page.set_default_timeout(PATIENCE_MS)
        yield page
        context.close()


@pytest.mark.parametrize("title", list(PAGE_PATHS))
def test_no_text_is_cut_off_at_1280_px(laptop_tab, title: str) -> None:
    page = laptop_tab
    page.goto(f"/{PAGE_PATHS[title]}")
    page.get_by_test_id("stHeading").first.wait_for()
    if title == "Train":
        wait_until_warm(page)  # its preview and its device caption come once TensorFlow is in
    wait_idle(page)
    page.wait_for_function(SETTLED)
    assert_no_exception(page)
    cut = page.evaluate(CUT_OFF, CHECKED)
    assert not cut, f"text cut off on the {title} page at 1280 px:\n" + "\n".join(
        f"  {item['kind']}: {item['text']!r} ({item['content']} px of content in {item['box']} px)" for item in cut
    )
