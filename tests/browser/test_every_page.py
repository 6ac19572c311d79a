"""Every page at a laptop's 1280 px, as a student sees it: no text cut off, and axe-core's WCAG 2 A/AA audit passes.

- **Text fits.** Labels, captions, metrics, formulas and the sidebar's text all fit the box Streamlit gives them: a
  label cut to "Same class, code sp…" or a formula that scrolls sideways reads as a bug on a projector, and
  Streamlit's own tests cannot see it (they have no layout).
- **WCAG 2 A/AA.** Text contrast of at least 4.5:1 (grey captions and help text included), names for controls,
  valid ARIA: a student on a projector or with weak eyesight reads the captions first.

One server over a store with finished runs, so the explore pages show their real content, not an empty state; one
tab visits each page once and runs both checks there.

axe-core 4.14.1 is vendored in tests/browser/vendor/axe.min.js, taken unchanged from the npm package axe-core@4.14.1
(``npm install axe-core``, its ``axe.min.js``), under the MPL-2.0 (tests/browser/vendor/LICENSE.axe-core): the test
needs no network and CI no npm step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import (  # noqa: E402  (only once Playwright is known to be there)
    BROWSER_MARKS,
    CHECKED,
    CUT_OFF,
    PATIENCE_MS,
    assert_no_exception,
    dashboard_server,
    wait_idle,
    wait_until_warm,
)

pytestmark = BROWSER_MARKS

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
#: every page of app.py's st.navigation, by its URL path ("" is Train, the default page), in the order audited: the
#: pages that load a stored model after the others, so the server's TensorFlow import (begun after the first page)
#: runs while those are read, and Train last, once it can show its whole view (the preview waits for TensorFlow)
PAGE_PATHS = {
    "Runs": "runs",
    "Sweeps": "sweeps",
    "About": "about",
    "Latent space": "latent",
    "Sparsity": "sparsity",
    "Denoising": "denoising",
    "Applications": "applications",
    "Class": "classroom",
    "Train": "",
}
#: the page is drawn in full: Streamlit shows a skeleton where an element's code (images, charts) still loads, after
#: the script has finished, and an image's text alternative matters once it is there
SETTLED = """() => !document.querySelector('[data-testid=stSkeleton]')
  && [...document.querySelectorAll('[data-testid=stMain] img')].every((image) => image.complete)"""
#: axe's audit of the whole document against WCAG 2.0 levels A and AA; each violation with its failing elements
#: and, for colour contrast, the colours and ratio axe measured
AUDIT = """async () => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
  return results.violations.map((violation) => ({
    id: violation.id,
    help: violation.help,
    nodes: violation.nodes.map((node) => {
      const data = (node.any.find((check) => check.data) || {}).data || {};
      return {target: node.target.join(' '), html: node.html.slice(0, 120), fg: data.fgColor, bg: data.bgColor,
              ratio: data.contrastRatio, needed: data.expectedContrastRatio};
    }),
  }));
}"""


@pytest.fixture(scope="module")
def laptop_tab(browser, explore_store) -> Iterator[object]:
    """One dashboard server over the store with finished runs, and one tab at 1280×720 that visits each page."""
    root, _ = explore_store
    # nothing trains here: one worker process loads TensorFlow beside the server's own import, not one a core
    with dashboard_server(root, "every-page-server", slots=1) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=url)
        page = context.new_page()
        page.set_default_timeout(PATIENCE_MS)
        yield page
        context.close()


def describe(violations: list[dict]) -> str:
    """One line per failing element: the rule, where the element is, and for contrast the colours and the ratio."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} elements)")
        for node in violation["nodes"]:
            contrast = f" {node['fg']} on {node['bg']} is {node['ratio']}:1, needs {node['needed']}"
            lines.append(f"  {node['target']}{contrast if node['ratio'] else ''}  {node['html']}")
    return "\n".join(lines)


@pytest.mark.parametrize("title", list(PAGE_PATHS))
def test_the_page_fits_1280_px_and_passes_axe_cores_wcag_2_aa_audit(laptop_tab, title: str) -> None:
    page = laptop_tab
    page.goto(f"/{PAGE_PATHS[title]}")
    page.get_by_test_id("stHeading").first.wait_for()
    if title == "Train":
        wait_until_warm(page)  # its preview of the input images and its empty loss chart come once TensorFlow is in
    wait_idle(page)
    page.wait_for_function(SETTLED)
    assert_no_exception(page)
    cut = page.evaluate(CUT_OFF, CHECKED)
    assert not cut, f"text cut off on the {title} page at 1280 px:\n" + "\n".join(
        f"  {item['kind']}: {item['text']!r} ({item['content']} px of content in {item['box']} px)" for item in cut
    )
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate(AUDIT)
    assert not violations, f"axe-core finds WCAG 2 A/AA violations on the {title} page:\n{describe(violations)}"
