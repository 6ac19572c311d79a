"""Tests of aecore.figures: every builder returns a go.Figure with the expected traces and a constant uirevision."""

import base64
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from aecore.errors import AecoreError
from aecore.figures.curves import MAX_LINE_POINTS, kl_penalty_curve, loss_curves
from aecore.figures.latent import MAX_SCATTER_POINTS, bar_per_dimension, latent_scatter, rho_hat_histogram
from aecore.figures.mosaics import MOSAIC_GAP, image_mosaic, image_rows, probe_strip
from aecore.figures.style import UIREVISION

ROOT = Path(__file__).resolve().parents[2]


def closed_form_kl(rho: float, rho_hat: np.ndarray) -> np.ndarray:
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def mosaic_pixels(figure: go.Figure) -> np.ndarray:
    """Decode the one PNG image a mosaic figure carries."""
    source = figure.data[0].source
    assert source.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1]))).convert("L"))


def assert_common(figure: go.Figure) -> None:
    assert isinstance(figure, go.Figure)
    assert figure.layout.uirevision == UIREVISION


TERMS = ["reconstruction", "sparsity_kl", "total"]


@pytest.mark.parametrize("points", [0, 1, 5000])
def test_loss_curves_handles_any_number_of_points(points):
    rng = np.random.default_rng(0)
    steps = np.arange(points)
    batch_terms = {name: rng.random(points) for name in TERMS}
    epochs = min(points, 3)
    epoch_steps = np.linspace(0, max(points - 1, 0), epochs).astype(int)
    validation_terms = {name: rng.random(epochs) for name in TERMS[:2]}
    figure = loss_curves(steps, batch_terms, epoch_steps, validation_terms)

    assert_common(figure)
    names = [trace.name for trace in figure.data]
    assert names == [
        "reconstruction",
        "β·Σ KL(ρ‖ρ̂ⱼ)",
        "total",
        "reconstruction (validation)",
        "β·Σ KL(ρ‖ρ̂ⱼ) (validation)",
    ]
    batch_traces, validation_traces = figure.data[:3], figure.data[3:]
    for trace in batch_traces:
        assert len(trace.x) == min(points, MAX_LINE_POINTS) and trace.mode == "lines"
    if points:
        assert batch_traces[0].x[0] == 0 and batch_traces[0].x[-1] == points - 1
    for trace, twin in zip(validation_traces, batch_traces[:2], strict=True):
        assert trace.line.dash == "dash" and "markers" in trace.mode and len(trace.x) == epochs
        assert trace.line.color == twin.line.color
    assert len({trace.line.color for trace in batch_traces}) == 3
    assert figure.layout.xaxis.title.text == "batch" and figure.layout.yaxis.title.text == "loss"


def test_loss_curves_thinning_keeps_matching_values_and_log_axis():
    steps = np.arange(10_000)
    values = steps * 2.0 + 1.0
    figure = loss_curves(steps, {"total": values}, np.array([]), {}, log_y=True)
    trace = figure.data[0]
    assert len(trace.x) == MAX_LINE_POINTS
    np.testing.assert_array_equal(np.asarray(trace.y), np.asarray(trace.x) * 2.0 + 1.0)
    assert figure.layout.yaxis.type == "log"


def test_loss_curves_serve_a_single_term_over_epochs():
    figure = loss_curves(np.arange(1, 6), {"sparsity_kl": np.ones(5)}, np.array([]), {}, x_title="epoch")
    assert len(figure.data) == 1 and figure.layout.xaxis.title.text == "epoch"


def test_loss_curves_with_no_terms_yet_is_the_empty_chart_of_a_whole_run():
    """Before Train: the axes the run will fill, as long as the run, with no made-up loss scale."""
    figure = loss_curves([], {}, [], {}, x_max=560)
    assert not figure.data
    assert list(figure.layout.xaxis.range) == [0, 560] and figure.layout.yaxis.showticklabels is False
    assert loss_curves(np.arange(3), {"total": np.ones(3)}, [], {}).layout.yaxis.showticklabels is not False


def test_loss_curves_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="reconstruction"):
        loss_curves(np.arange(3), {"reconstruction": np.ones(2)}, np.array([]), {})


def test_image_mosaic_dimensions_include_gaps_and_tiles_land_in_place():
    rows, columns, height, width = 3, 4, 5, 6
    grid = (
        np.arange(rows * columns, dtype=np.uint8).reshape(rows, columns, 1, 1) * 10 * np.ones((height, width), np.uint8)
    )
    figure = image_mosaic(grid, [f"z{r}" for r in range(rows)], [f"c{c}" for c in range(columns)], "Traversal")
    assert_common(figure)
    assert len(figure.data) == 1
    pixels = mosaic_pixels(figure)
    assert pixels.shape == (rows * height + (rows - 1) * MOSAIC_GAP, columns * width + (columns - 1) * MOSAIC_GAP)
    top, left = 2 * (height + MOSAIC_GAP), 3 * (width + MOSAIC_GAP)
    assert np.all(pixels[top : top + height, left : left + width] == grid[2, 3, 0, 0])
    assert np.all(pixels[height : height + MOSAIC_GAP] == 255)
    assert list(figure.layout.yaxis.ticktext) == ["z0", "z1", "z2"]
    assert list(figure.layout.xaxis.ticktext) == ["c0", "c1", "c2", "c3"]
    assert figure.layout.title.text == "Traversal"


def test_image_mosaic_scales_floats_and_hides_labels_when_none():
    figure = image_mosaic(np.full((2, 2, 3, 3, 1), 1.0, dtype=np.float32))
    assert np.all(mosaic_pixels(figure) == 255)
    assert figure.layout.xaxis.showticklabels is False and figure.layout.yaxis.showticklabels is False


def test_image_mosaic_height_grows_with_rows():
    short = image_mosaic(np.zeros((2, 8, 28, 28), np.uint8))
    tall = image_mosaic(np.zeros((6, 8, 28, 28), np.uint8))
    assert tall.layout.height > short.layout.height


def test_image_rows_builds_one_labelled_row_per_entry():
    rows = {name: np.full((8, 7, 7), value, np.uint8) for name, value in [("clean", 0), ("noisy input", 100)]}
    rows["reconstruction"] = np.full((8, 7, 7), 200, np.uint8)
    figure = image_rows(rows)
    assert_common(figure)
    pixels = mosaic_pixels(figure)
    assert pixels.shape == (3 * 7 + 2 * MOSAIC_GAP, 8 * 7 + 7 * MOSAIC_GAP)
    assert pixels[0, 0] == 0 and pixels[7 + MOSAIC_GAP, 0] == 100 and pixels[-1, -1] == 200
    assert list(figure.layout.yaxis.ticktext) == ["clean", "noisy input", "reconstruction"]


def test_image_rows_rejects_rows_of_different_lengths():
    with pytest.raises(ValueError, match="same number"):
        image_rows({"clean": np.zeros((8, 7, 7), np.uint8), "reconstruction": np.zeros((6, 7, 7), np.uint8)})


def test_kl_penalty_curve_minimum_is_zero_at_rho_and_units_sit_on_the_curve():
    rho = 0.2
    rho_hat = np.array([0.05, 0.2, 0.5, 0.9])
    figure = kl_penalty_curve(rho, rho_hat)
    assert_common(figure)
    curve, units = figure.data
    x, y = np.asarray(curve.x), np.asarray(curve.y)
    assert x.min() == pytest.approx(0.001) and x.max() == pytest.approx(0.999)
    assert x[np.argmin(y)] == pytest.approx(rho, abs=1e-3)
    assert y.min() == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(y, closed_form_kl(rho, x), rtol=1e-4, atol=1e-6)

    np.testing.assert_allclose(units.x, rho_hat)
    np.testing.assert_allclose(units.y, closed_form_kl(rho, rho_hat), rtol=1e-4, atol=1e-6)
    assert list(units.customdata) == [1, 2, 3, 4] and "unit %{customdata}" in units.hovertemplate

    line = figure.layout.shapes[0]
    assert line.x0 == rho and line.x1 == rho and line.line.dash == "dash"
    assert figure.layout.annotations[0].text == "ρ = 0.2"
    assert figure.layout.xaxis.title.text == "ρ̂ (mean activation of a unit)"
    assert figure.layout.yaxis.title.text == "KL(ρ‖ρ̂)"


def test_kl_penalty_curve_without_units_and_bad_rho():
    assert len(kl_penalty_curve(0.05).data) == 1
    with pytest.raises(AecoreError, match="between 0 and 1"):
        kl_penalty_curve(1.0)


def test_rho_hat_histogram_counts_every_unit():
    rho_hat = np.random.default_rng(0).uniform(0, 1, size=64)
    figure = rho_hat_histogram(rho_hat, 0.1)
    assert_common(figure)
    assert figure.data[0].type == "histogram" and len(figure.data[0].x) == 64
    assert figure.layout.shapes[0].x0 == 0.1


def test_bar_per_dimension_names_each_dimension():
    figure = bar_per_dimension(np.array([0.5, 0.01, 2.0]), "KL per dimension", "KL (nats)")
    assert_common(figure)
    assert list(figure.data[0].x) == ["z1", "z2", "z3"]
    np.testing.assert_allclose(figure.data[0].y, [0.5, 0.01, 2.0])
    assert figure.layout.title.text == "KL per dimension" and figure.layout.yaxis.title.text == "KL (nats)"


def test_latent_scatter_2d_one_trace_per_class_and_subsampled():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(12_000, 2))
    labels = rng.integers(0, 3, size=12_000)
    figure = latent_scatter(points, labels, ["zero", "one", "two"], "Codes")
    assert_common(figure)
    assert [trace.name for trace in figure.data] == ["zero", "one", "two"]
    assert all(trace.type == "scattergl" for trace in figure.data)
    assert sum(len(trace.x) for trace in figure.data) == MAX_SCATTER_POINTS
    assert len({trace.marker.color for trace in figure.data}) == 3


def test_latent_scatter_3d_and_without_labels():
    points = np.random.default_rng(0).normal(size=(100, 3))
    figure = latent_scatter(points, None, None, "Codes", axis_titles=["PC 1", "PC 2", "PC 3"])
    assert_common(figure)
    assert len(figure.data) == 1 and figure.data[0].type == "scatter3d" and len(figure.data[0].x) == 100
    assert figure.layout.scene.zaxis.title.text == "PC 3"
    with pytest.raises(ValueError, match=r"\(N, 2\) or \(N, 3\)"):
        latent_scatter(np.zeros((5, 4)))


def test_loss_curves_on_a_log_axis_label_ticks_in_full():
    steps = np.arange(1, 101)
    figure = loss_curves(steps, {"total": np.linspace(0.7, 0.02, 100)}, np.array([]), {}, log_y=True)
    assert figure.layout.yaxis.type == "log"
    assert list(figure.layout.yaxis.tickvals) == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    assert list(figure.layout.yaxis.ticktext) == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]


def test_the_figure_builders_finish_importing_pandas_before_any_figure_is_built():
    """plotly reads pandas from ``sys.modules`` without the import lock: a figure built while the server's warm-up
    thread was halfway through importing pandas (through Keras) failed on a partly initialised module."""
    code = "import sys, aecore.figures.style; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "True"


def test_loss_curves_draw_coinciding_terms_once_under_both_names():
    """With α = 0 and no penalty the total is the reconstruction: drawn on top, it hid the reconstruction."""
    steps, epoch_ends = np.arange(6), np.array([2, 5])
    reconstruction, validation = np.linspace(0.09, 0.03, 6), np.array([0.06, 0.04])
    figure = loss_curves(
        steps,
        {"reconstruction": reconstruction, "total": reconstruction.copy()},
        epoch_ends,
        {"reconstruction": validation, "total": validation.copy()},
    )
    assert [trace.name for trace in figure.data] == ["reconstruction = total", "reconstruction = total (validation)"]
    np.testing.assert_array_equal(figure.data[0].y, reconstruction)


def test_loss_curves_merge_only_curves_that_are_the_same_throughout():
    """The VAE at β = 1: β·KL is the KL and shares its curve; the total (reconstruction + KL) stays its own."""
    steps = np.arange(4)
    kl = np.array([30.0, 20.0, 15.0, 12.0])
    reconstruction = np.array([300.0, 250.0, 220.0, 210.0])
    terms = {"reconstruction": reconstruction, "kl": kl, "beta_kl": kl.copy(), "total": reconstruction + kl}
    figure = loss_curves(steps, terms, np.array([]), {})
    assert [trace.name for trace in figure.data] == ["reconstruction", "KL(q‖p), nats = β·KL", "total"]
    # the total runs close to the reconstruction: it is a wide faint band under it, not a line hiding it
    reconstruction_line, total_band = figure.data[0], figure.data[2]
    assert total_band.zorder < reconstruction_line.zorder and total_band.line.width > reconstruction_line.line.width

    # a total that differs only a little (α > 0) or a validation value that differs keeps its own curve
    nearly = {"reconstruction": reconstruction, "total": reconstruction * (1 + 1e-4)}
    assert len(loss_curves(steps, nearly, np.array([]), {}).data) == 2
    same_per_batch = {"reconstruction": reconstruction, "total": reconstruction.copy()}
    validation = {"reconstruction": np.array([0.5]), "total": np.array([0.6])}
    assert len(loss_curves(steps, same_per_batch, np.array([3]), validation).data) == 4


def test_the_probe_strip_puts_one_image_in_every_kind_on_a_row_two_images_side_by_side():
    clean = np.stack([np.full((4, 4), index, dtype=np.uint8) for index in range(6)])
    kinds = {"clean": clean, "noisy": clean + 100, "denoised": clean + 200}
    figure = probe_strip(kinds, max_rows=2, max_width=260)
    pixels = mosaic_pixels(figure)
    assert pixels.shape == (2 * 4 + MOSAIC_GAP, 6 * 4 + 5 * MOSAIC_GAP), "two rows of six tiles"
    tiles = [[pixels[row * (4 + MOSAIC_GAP), column * (4 + MOSAIC_GAP)] for column in range(6)] for row in range(2)]
    assert tiles == [[0, 100, 200, 2, 102, 202], [1, 101, 201, 3, 103, 203]]
    assert list(figure.layout.xaxis.ticktext) == ["clean", "noisy", "denoised"] * 2
