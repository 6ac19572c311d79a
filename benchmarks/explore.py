"""How quickly the explore pages answer: a traversal slider moved to its redrawn image in the browser, the
PSNR-versus-noise curve, and t-SNE of 5,000 codes (once, then from the cache).

Trains a short sparse run on full Fashion-MNIST (10,000 test images, so the scatter gets its 5,000 codes) and a
convolutional denoiser on the embedded MNIST digits, in a temporary store, then measures:
- ``slider_ms``: pressing → on a traversal slider in Chromium until the decoded image's ``src`` changes (median);
- ``psnr_curve_s``: the Denoising page's PSNR-versus-noise curve for the convolutional run (``explore.denoising``);
- ``tsne_first_s`` / ``tsne_cached_s``: the Latent space page's t-SNE of 5,000 codes, then the same again.

    python -m benchmarks.explore [--presses 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))  # the browser tests' server and Chromium helpers


def train(store, variant: str, dataset: str) -> str:
    from aecore.jobs.run_jobs import new_job
    from aecore.settings.config import ModelConfig, RunConfig, TrainingConfig

    config = RunConfig(dataset=dataset, model=ModelConfig(variant=variant), training=TrainingConfig(epochs=1))
    job = new_job(config, store, name=f"{variant} benchmark")
    job.run()
    return job.run_id


def slider_presses(root: Path, run_id: str, presses: int) -> list[float]:
    from browser_support import CHROMIUM, CHROMIUM_ARGS, dashboard_server, wait_idle
    from playwright.sync_api import sync_playwright

    waits = []
    with dashboard_server(root, "benchmark-explore") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.set_default_timeout(120_000)
        page.goto(f"{url}/latent")
        wait_idle(page)
        page.get_by_text("Traversal").first.wait_for()
        slider = page.get_by_test_id("stSlider").filter(has_text="z1").first.get_by_role("slider")
        decoded = page.get_by_test_id("stImage").filter(has_text="decoded").first.locator("img")
        for _ in range(presses):
            before = decoded.get_attribute("src")
            slider.focus()
            started = time.perf_counter()
            slider.press("ArrowRight")
            page.wait_for_function(
                "(old) => [...document.querySelectorAll('[data-testid=stImage]')]"
                ".some(f => f.innerText.includes('decoded') && f.querySelector('img').src !== old)",
                arg=before,
            )
            waits.append(time.perf_counter() - started)
            wait_idle(page)
        browser.close()
    return waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=10)
    args = parser.parse_args()
    from aecore.explore import layouts
    from aecore.explore.stored_model import TrainedRun
    from aecore.runs.store import RunStore

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "runs"
        os.environ["AECORE_RUNS_DIR"] = str(root)
        store = RunStore(root)
        conv = train(store, "conv_denoising", "mnist-5k")
        sparse = train(store, "sparse", "fashion-mnist")
        result: dict[str, float] = {}

        trained = TrainedRun.load(store.folder(sparse), store.record(sparse))
        codes = trained.test_codes
        started = time.perf_counter()
        layouts.fit_layout(codes, "tsne", 2)
        result["tsne_codes"] = len(codes)
        result["tsne_first_s"] = time.perf_counter() - started

        from streamlit.testing.v1 import AppTest

        from pages._ui.explore import PICKED_KEY

        page = AppTest.from_file(str(ROOT / "pages" / "latent.py"), default_timeout=600)
        page.session_state[PICKED_KEY] = sparse
        page.session_state["latent_method"] = "tsne"
        page.run()  # computes and caches the projection
        started = time.perf_counter()
        page.run()
        result["tsne_cached_page_run_s"] = time.perf_counter() - started

        from aecore.explore import denoising

        model = TrainedRun.load(store.folder(conv), store.record(conv))
        started = time.perf_counter()
        denoising.psnr_curve(model.reconstruct, model.test_images[:1000], model.config.noise.kind)
        result["psnr_curve_s"] = time.perf_counter() - started

        # the slider in the browser, over a store that holds only the sparse run (the picker's default)
        store.delete(conv)
        waits = slider_presses(root, sparse, args.presses)
        result["slider_ms_median"] = 1000 * statistics.median(waits)
        result["slider_ms_max"] = 1000 * max(waits)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
