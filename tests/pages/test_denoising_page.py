"""AppTest tests of the Denoising page: no run yet, and finished sparse, VAE and convolutional denoising runs (the noise
slider, the PSNR curve with the trained level, the noise kinds' formulas, block and drawn inpainting masks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from page_support import texts
from streamlit.testing.v1 import AppTest
from test_latent_pages import assert_rises_to_one, recorded_progress

from aecore.explore import denoising
from pages._ui.explore import PICKED_KEY

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "denoising.py")


def page(run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    if run_id is not None:
        at.session_state[PICKED_KEY] = run_id
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [error.value for error in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(item.value for item in at.metric if item.label == label)


def decibels(text: str) -> float:
    return float(re.fullmatch(r"(-?\d+\.\d\d) dB", text).group(1))


def chart(at: AppTest, key: str) -> dict:
    """The plotly figure the page shows under ``key``, as plotly's JSON."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key!r}")


def slider(at: AppTest, label: str):
    return next(widget for widget in at.slider if widget.label == label)


def test_with_no_run_the_page_says_so_with_a_way_to_train(page_store) -> None:
    at = page()
    assert "train one first" in texts(at.info)
    assert any(button.label == "Go to Train" for button in at.button)
    assert not at.slider


@pytest.mark.parametrize("variant", ["sparse", "vae", "conv_denoising"])
def test_every_section_is_computed_for_a_finished_run(explore_pages, variant) -> None:
    at = page(explore_pages[variant])
    shown = texts(at.markdown)
    for part in ("Noise on the trained model", "PSNR versus noise level", "Inpainting"):
        assert part in shown, part
    assert len(at.get("plotly_chart")) == 3  # the noise rows, the PSNR curve, the inpainting rows
    for label in ("PSNR of the noisy input", "PSNR of the output", "Masked input", "Output in the mask"):
        assert decibels(metric(at, label)) > 0, label
    assert "The output beats its noisy input" in shown or "At no level does the output beat" in shown
    formulas = texts(at.latex)
    for part in ("\\mathrm{PSNR}(x, \\hat x)", "\\tilde x", "\\mathrm{PSNR}_M", "x_{\\text{filled}}"):
        assert part in formulas, part
    curve = chart(at, "denoising_psnr_curve")
    noisy, output = curve["data"]
    assert noisy["name"] == "noisy input" and output["name"] == "model output"
    assert "81 of 784 pixels hidden in each of the 8 images." in texts(at.caption)


def test_a_denoising_run_marks_its_trained_level_and_the_slider_changes_the_psnr(explore_pages) -> None:
    at = page(explore_pages["conv_denoising"])
    assert "this run was trained on gaussian noise, σ = 0.2" in texts(at.markdown)
    assert slider(at, "Noise level").value == pytest.approx(0.2)
    curve = chart(at, "denoising_psnr_curve")
    lines = [shape for shape in curve["layout"]["shapes"] if shape["type"] == "line"]
    assert [line["x0"] for line in lines] == [0.2]
    assert any(note["text"] == "trained: σ = 0.2" for note in curve["layout"]["annotations"])
    assert "1,000 test images, 21 levels" in texts(at.caption)

    at20 = decibels(metric(at, "PSNR of the noisy input"))
    slider(at, "Noise level").set_value(0.5).run()
    assert_clean(at)
    at50 = decibels(metric(at, "PSNR of the noisy input"))
    assert at50 < at20 - 3, (at20, at50)
    gain = next(item for item in at.metric if item.label == "PSNR of the output").proto.delta
    assert gain.startswith("+"), "at strong noise the denoising model beats its input"
    slider(at, "Noise level").set_value(0.0).run()
    assert metric(at, "PSNR of the noisy input") == "∞ dB"


def test_a_run_trained_without_noise_is_marked_at_zero_and_another_kind_shows_its_formula(explore_pages) -> None:
    at = page(explore_pages["sparse"])
    assert "this run was trained without noise" in texts(at.markdown)
    curve = chart(at, "denoising_psnr_curve")
    assert [shape["x0"] for shape in curve["layout"]["shapes"] if shape["type"] == "line"] == [0.0]
    at.selectbox(key="denoising_kind").set_value("masking").run()
    assert_clean(at)
    assert any("u_i < p" in latex.value for latex in at.latex)
    assert "masking noise on the test images" in texts(at.markdown)
    masked = chart(at, "denoising_psnr_curve")
    assert masked["data"][0]["y"] != curve["data"][0]["y"]


def test_the_conv_run_on_another_kind_of_noise_says_it_never_saw_it(explore_pages) -> None:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state[PICKED_KEY] = explore_pages["conv_denoising"]
    at.session_state["denoising_kind"] = "salt_pepper"
    at.run()
    assert_clean(at)
    assert "a kind of noise it never saw" in texts(at.caption)
    curve = chart(at, "denoising_psnr_curve")
    assert not [shape for shape in curve["layout"].get("shapes", []) if shape["type"] == "line"]


def test_the_inpainting_block_follows_its_sliders_and_the_draw_mode_asks_for_a_drawing(explore_pages) -> None:
    at = page(explore_pages["vae"])
    before = metric(at, "Output in the mask")
    slider(at, "Block side (pixels)").set_value(4).run()
    assert_clean(at)
    assert "16 of 784 pixels hidden in each of the 8 images." in texts(at.caption)
    assert metric(at, "Output in the mask") != before
    at.radio(key="inpaint_mode").set_value("Draw").run()
    assert_clean(at)
    assert "Paint on the canvas" in texts(at.info)
    assert "Output in the mask" not in [item.label for item in at.metric]


def test_block_noise_that_misses_some_images_leaves_them_out_of_the_headline_and_says_so(explore_pages) -> None:
    """At 0.26 the block misses 3 of the 8 digits shown: counted as 120 dB each they once made the noisy input
    57.35 dB and the model's gain −40.77 dB."""
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state[PICKED_KEY] = explore_pages["conv_denoising"]
    at.session_state["denoising_kind"] = "block"
    at.session_state["denoising_level"] = 0.26
    at.run()
    assert_clean(at)
    assert 10 < decibels(metric(at, "PSNR of the noisy input")) < 40
    gain = next(item for item in at.metric if item.label == "PSNR of the output").proto.delta
    assert abs(float(gain.removesuffix(" dB"))) < 15, gain
    assert "3 of 8 images were left unchanged by this noise and are not counted." in texts(at.caption)
    assert "At each level the images its noise left unchanged are not counted: up to" in texts(at.caption)
    assert "\\begin{aligned}" in texts(at.latex), "the block formula is broken into two lines to fit its column"


def test_the_psnr_curve_reports_each_noise_level_up_to_done() -> None:
    images = np.random.default_rng(0).random((5, 8, 8, 1)).astype(np.float32)
    reports = []
    denoising.psnr_curve(
        lambda noisy: noisy, images, "masking", levels=[0.0, 0.3, 0.6], progress=lambda *report: reports.append(report)
    )
    assert [fraction for fraction, _ in reports] == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert reports[1][1] == "Masking noise at level 0.3 (2 of 3 levels) on 5 test images…"


def test_the_psnr_curve_shows_a_progress_bar_level_by_level_the_first_time_only(explore_pages, monkeypatch) -> None:
    drawn = recorded_progress(monkeypatch)
    at = page(explore_pages["conv_denoising"])
    assert_rises_to_one(drawn)
    assert any(text.startswith("Gaussian noise at level 0.3 (7 of 21 levels)") for _, text in drawn), drawn
    assert not at.get("progress"), "the bar is removed once the curve is drawn"
    drawn.clear()
    at.run()
    assert_clean(at)
    assert drawn == [], "a kept curve draws no bar at a rerun"
