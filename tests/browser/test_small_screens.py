"""The students' screens: a small laptop (1366×768), a tablet (768×1024) and a phone (390×844).

On the tablet and the phone the sidebar starts collapsed and the Train page's controls sit above its live view,
each as wide as the page; on the laptop and the tablet no label, caption or formula is cut off on the Train page,
a lesson link or the Class page; on the phone a student can still press Train and watch the loss curve grow.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    CHECKED,
    CUT_OFF,
    PATIENCE_MS,
    assert_no_exception,
    batches_grow,
    button,
    dashboard_server,
    wait_idle,
)

pytestmark = BROWSER_MARKS

SCREENS = {"laptop": (1366, 768), "tablet": (768, 1024), "phone": (390, 844)}
LESSON = "/?variant=sparse&dataset=digits&epochs=2&hide=beta,lam,alpha&lock=variant&title=Sparse+codes&note=Try+rho"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory) -> Iterator[str]:
    with dashboard_server(tmp_path_factory.mktemp("small-screens"), "small-screens-server", slots=1) as url:
        yield url


def assert_nothing_cut(page, where: str) -> None:
    cut = page.evaluate(CUT_OFF, CHECKED)
    assert not cut, f"text cut off on {where}:\n" + "\n".join(
        f"  {item['kind']}: {item['text']!r} ({item['content']} px of content in {item['box']} px)" for item in cut
    )


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_train_page_a_lesson_and_the_class_page_fit_the_screen(browser, server_url: str, screen: str) -> None:
    width, height = SCREENS[screen]
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=server_url)
    page = context.new_page()
    page.set_default_timeout(PATIENCE_MS)
    for path, where in (("/?variant=sparse", "the Train page"), (LESSON, "a lesson link"), ("/classroom", "Class")):
        page.goto(path)
        wait_idle(page)
        page.wait_for_timeout(500)
        assert_no_exception(page)
        if screen != "phone":  # a phone scrolls a wide formula sideways: there, Train and the curves must work
            assert_nothing_cut(page, f"{where} at {width}×{height}")
    sidebar_collapsed = page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true"
    assert sidebar_collapsed == (screen != "laptop"), "the sidebar starts collapsed on a tablet or a phone"
    page.goto(LESSON)
    wait_idle(page)
    rho = page.get_by_role("group", name="ρ (target activation)").bounding_box()
    train = button(page, "Train").bounding_box()
    if screen != "laptop":
        assert rho["y"] + rho["height"] < train["y"], "the controls stand above the live view"
        assert rho["width"] > 0.6 * width, "each as wide as the page"
    assert train["x"] + train["width"] <= width, "Train is on the screen"
    if screen == "phone":
        button(page, "Train").click()
        batches_grow(page, than=0)
        page.locator(".js-plotly-plot").first.wait_for()
        page.get_by_text("After training").first.wait_for(timeout=120_000)
        assert_no_exception(page)
    context.close()
