"""``python -m aecore evaluate RUN_ID --noise-kind KIND --noise-level LEVEL``: what the Denoising page shows for one
noise, on a stored run's test images, without the dashboard.

The numbers come from ``aecore.explore.denoising.denoise``, the page's own function: the same fixed noise seed and
the same PSNR, taken over the images the noise changed.
"""

from __future__ import annotations

import argparse
import json
import math

from aecore.errors import AecoreError
from aecore.settings.parameters import PARAMETERS


def add_evaluate_options(parser: argparse.ArgumentParser) -> None:
    """The run, the noise (named and checked as ``train`` names them) and what to print."""
    parser.add_argument("run_id", metavar="RUN_ID")
    kind, level = PARAMETERS["noise_kind"], PARAMETERS["noise_level"]
    parser.add_argument(
        *kind.flags("noise_kind"),
        dest="noise_kind",
        choices=kind.choices,
        help="how to corrupt the test images (with --noise-level)",
    )
    parser.add_argument(
        *level.flags("noise_level"),
        dest="noise_level",
        type=float,
        metavar="LEVEL",
        help="Gaussian: the noise factor σ; other kinds: the fraction of pixels (or block side), at most 1",
    )
    parser.add_argument("--images", type=int, metavar="N", help="the first N test images (default: every one)")
    add_nll_option(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on the last line")


def add_nll_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nll",
        type=int,
        metavar="K",
        help="a VAE's: add test_nll, its importance-sampled negative log-likelihood in nats per image, from K draws "
        "of q(z|x) per image (K decoder passes each; 100 to 1,000 is usual)",
    )


def evaluate_command(args: argparse.Namespace) -> int:
    """Load the run's model, put the noise on its test images and print the PSNRs the Denoising page shows."""
    if args.images is not None and args.images < 1:
        raise AecoreError(f"--images must be at least 1 (got {args.images}); leave it out for every test image.")
    if (args.noise_kind is None) != (args.noise_level is None) or (args.noise_kind is None and args.nll is None):
        raise AecoreError("Give --noise-kind with --noise-level (the Denoising page's figures), --nll K, or both.")
    from aecore.runs.store import RunStore

    store = RunStore()
    record = store.record(args.run_id)
    from aecore.explore.denoising import denoise
    from aecore.explore.stored_model import TrainedRun, estimate_nll  # TensorFlow: only once the run is found

    nll = None if args.nll is None else estimate_nll(store.folder(args.run_id), args.nll, args.images)
    if args.noise_kind is None:
        summary = {"run_id": record.id, "variant": record.config.model.variant, "test_nll": nll, "samples": args.nll}
        print(json.dumps(summary) if args.json else f"test_nll: {nll:.2f} nats per image ({args.nll} samples)")
        return 0
    trained = TrainedRun.load(store.folder(args.run_id), record)
    images = trained.dataset.x_test[: args.images]
    if len(images) == 0:
        raise AecoreError(f"The run's dataset '{record.config.dataset}' has no test images to put noise on.")
    result = denoise(trained.reconstruct, images, args.noise_kind, args.noise_level)
    gain = result.psnr_denoised - result.psnr_noisy
    summary = {
        "run_id": record.id,
        "variant": record.config.model.variant,
        "dataset": record.config.dataset,
        "noise_kind": args.noise_kind,
        "noise_level": args.noise_level,
        "images": len(images),
        "unchanged_images": result.unchanged,
        # null where the noise changed no image: the input is the clean image (∞ dB) and there is no gain
        "psnr_noisy_input": _finite(result.psnr_noisy),
        "psnr_output": _finite(result.psnr_denoised),
        "psnr_gain": _finite(gain),
        "ssim_noisy_input": result.ssim_noisy,
        "ssim_output": result.ssim_denoised,
        **({} if nll is None else {"test_nll": nll, "samples": args.nll}),
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"run: {record.id} ({summary['variant']} on {summary['dataset']})")
    print(f"noise: {args.noise_kind}, level {args.noise_level:g}, on {len(images):,} test images")
    print(f"psnr_noisy_input: {_decibels(result.psnr_noisy)}")
    print(f"psnr_output: {_decibels(result.psnr_denoised)}")
    if math.isfinite(gain):
        print(f"psnr_gain: {gain:+.2f} dB")
    print(f"ssim_noisy_input: {result.ssim_noisy:.3f}")
    print(f"ssim_output: {result.ssim_denoised:.3f}")
    if result.note:
        print(result.note)
    if nll is not None:
        print(f"test_nll: {nll:.2f} nats per image ({args.nll} samples)")
    return 0


def _decibels(value: float) -> str:
    return f"{value:.2f} dB" if math.isfinite(value) else "∞ dB"


def _finite(value: float) -> float | None:
    """A PSNR for JSON, which has no infinity."""
    return value if math.isfinite(value) else None
