"""AppTest tests of the Latent space and Sparsity pages: no run yet, and finished sparse, VAE and conv runs; the
progress bar of a long projection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from page_support import texts
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from pages._ui.explore import PICKED_KEY, result_slot

PAGES = Path(__file__).resolve().parents[2] / "pages"


def page(name: str, run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=180)
    if run_id is not None:
        at.session_state[PICKED_KEY] = run_id
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [error.value for error in at.error]
    return at


def images_by_caption(at: AppTest) -> dict[str, str]:
    """Every ``st.image`` on the page (fragments included) by caption: its media URL, which names its content."""
    found, nodes = {}, [at._tree]
    while nodes:
        node = nodes.pop()
        if getattr(node, "type", None) in ("image", "imgs"):
            found.update({image.caption: image.url for image in node.proto.imgs})
        children = getattr(node, "children", None)
        nodes.extend(children.values() if isinstance(children, dict) else [])
    return found


@pytest.mark.parametrize("name", ["latent", "sparsity"])
def test_with_no_run_the_page_says_so_with_a_way_to_train(page_store, name) -> None:
    at = page(name)
    assert "There is no a trained run yet" not in texts(at.info)
    assert "train one first" in texts(at.info)
    assert any(button.label == "Go to Train" for button in at.button)


def test_latent_space_of_a_vae_shows_its_codes_manifold_traversal_and_prior_samples(explore_pages) -> None:
    at = page("latent", explore_pages["vae"])
    shown = texts(at.markdown)
    for part in (
        "Codes of 1,000 test images",
        "Decoded manifold",
        "Traversal",
        "Interpolation",
        "Samples of the prior",
    ):
        assert part in shown, part
    assert [slider.label for slider in at.slider if slider.label.startswith("z")] == ["z1", "z2"]
    assert len(at.get("plotly_chart")) >= 4
    assert any("z(t)" in latex.value for latex in at.latex)


def test_latent_space_of_a_conv_code_is_projected_and_a_slider_redraws_the_image(explore_pages) -> None:
    at = page("latent", explore_pages["conv_denoising"])
    assert "PCA of its 392-D code" in texts(at.markdown)
    assert "Decoded manifold" not in texts(at.markdown)
    sliders = [slider for slider in at.slider if slider.label.startswith("z")]
    assert len(sliders) == 16
    before = images_by_caption(at)
    assert before["decoded"] == before["reconstruction"], (
        "at the image's own code the traversal shows its reconstruction"
    )
    sliders[0].set_value(sliders[0].max).run()
    assert not at.exception, at.exception
    after = images_by_caption(at)
    assert after["decoded"] != before["decoded"] and after["reconstruction"] == before["reconstruction"]


def test_sparsity_of_a_sparse_run_shows_the_penalty_units_and_weights(explore_pages) -> None:
    at = page("sparsity", explore_pages["sparse"])
    assert "The sparsity penalty for ρ = 0.2" in texts(at.markdown)
    labels = {metric.label: metric.value for metric in at.metric}
    assert labels["Units within ±0.05 of ρ"].endswith("of 64")
    assert "**Each first-layer unit's weights** · 64 units" in texts(at.markdown)
    assert len(at.get("plotly_chart")) == 4  # the KL curve, the histogram, the unit activity, the weights


@pytest.mark.parametrize(("variant", "says"), [("vae", "not a sigmoid code"), ("conv_denoising", "16 filters")])
def test_sparsity_of_other_runs_shows_what_applies(explore_pages, variant, says) -> None:
    at = page("sparsity", explore_pages[variant])
    assert says in texts(at.info) + texts(at.markdown)


def test_latent_space_of_a_sparse_run_shows_its_projected_codes_and_no_prior(explore_pages) -> None:
    at = page("latent", explore_pages["sparse"])
    shown = texts(at.markdown)
    assert "PCA of its 64-D code" in shown and "Samples of the prior" not in shown
    assert len([slider for slider in at.slider if slider.label.startswith("z")]) == 16


def recorded_progress(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, str]]:
    """Every state of every ``st.progress`` bar drawn from now on, in order: a page removes its bar once the
    computation is done, so AppTest's final tree no longer holds it. Clears the kept results first, so the page
    computes again."""
    drawn: list[tuple[float, str]] = []
    draw = DeltaGenerator.progress

    def recorded(self, value, text=None, **kwargs):
        drawn.append((value, text))
        return draw(self, value, text, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "progress", recorded)
    monkeypatch.setattr(st, "progress", recorded.__get__(st.progress.__self__))
    result_slot.clear()
    return drawn


def assert_rises_to_one(reports: list[tuple[float, str]]) -> None:
    fractions = [fraction for fraction, _ in reports]
    assert len(fractions) >= 3 and fractions == sorted(fractions) and fractions[-1] == 1.0, reports


def test_a_projection_reports_its_stages_up_to_done() -> None:
    from aecore.explore.layouts import fit_layout

    codes = np.random.default_rng(0).normal(size=(60, 6)).astype(np.float32)
    reports = []
    fit_layout(codes, "tsne", 2, progress=lambda fraction, what: reports.append((fraction, what)))
    assert_rises_to_one(reports)
    assert all(what.startswith("t-SNE 2-D of 60 codes: ") for _, what in reports)
    for method, shown in (("pca", codes), ("tsne", codes[:, :2])):  # numpy alone; codes shown as they are
        reports.clear()
        fit_layout(shown, method, 2, progress=lambda fraction, what: reports.append((fraction, what)))
        assert [fraction for fraction, _ in reports] == [1.0], f"{method} is done at once"


def test_a_t_sne_projection_shows_a_progress_bar_the_first_time_only(explore_pages, monkeypatch) -> None:
    drawn = recorded_progress(monkeypatch)
    at = AppTest.from_file(str(PAGES / "latent.py"), default_timeout=180)
    at.session_state[PICKED_KEY] = explore_pages["sparse"]
    at.session_state["latent_method"] = "tsne"
    at.run()
    assert not at.exception, at.exception
    assert "t-SNE of its 64-D code" in texts(at.markdown)
    assert_rises_to_one(drawn)
    assert all(text.startswith("t-SNE 2-D of 1,000 codes") for _, text in drawn), drawn
    assert not at.get("progress"), "the bar is removed once the projection is done"
    drawn.clear()
    at.number_input(key="latent_index").set_value(3).run()
    assert not at.exception, at.exception
    assert drawn == [], "a kept projection draws no bar at a rerun"
    from aecore.explore import layouts
    from pages import _ui as ui

    folder = ui.run_store().folder(explore_pages["sparse"])
    assert layouts.read_layout(folder, "tsne", 2, 1000) is not None, "kept in the run's folder"
    kept = next(line for line in texts(at.caption).splitlines() if line.startswith("Kept with the run: "))
    assert "t-SNE" in kept.split(". ")[0] and kept.endswith("Others are computed once when picked."), kept
    result_slot.clear()  # a server started again: the layout comes from the folder, with no bar
    at.number_input(key="latent_index").set_value(4).run()
    assert not at.exception and drawn == [], drawn


def test_a_box_selection_on_the_scatter_shows_its_images_and_exports_them(explore_pages) -> None:
    at = AppTest.from_file(str(PAGES / "latent.py"), default_timeout=180)
    at.session_state[PICKED_KEY] = explore_pages["vae"]
    points = [{"customdata": index, "x": 0.0, "y": 0.0} for index in (3, 7, 11)]
    at.session_state["latent_scatter_2"] = {
        "selection": {"points": points, "point_indices": [3, 7, 11], "box": [], "lasso": []}
    }
    at.run()
    assert not at.exception, at.exception
    assert "3 points selected" in texts(at.markdown)
    captions = set(images_by_caption(at))
    assert {caption.rsplit(" · ", 1)[1] for caption in captions if " · " in caption} >= {"3", "7", "11"}
    assert any(button.proto.label == "Selection (CSV)" for button in at.get("download_button"))


def test_a_selection_exports_index_label_and_coordinates():
    import numpy as np

    from aecore.explore.latent import selection_csv

    points = np.array([[0.5, -1.0], [2.0, 3.25], [1.0, 1.0]])
    text = selection_csv([2, 0], np.array([1, 0, 2]), ("zero", "one", "two"), points[[2, 0]])
    assert text.splitlines() == ["index,label,x,y", "2,two,1,1", "0,one,0.5,-1"]
