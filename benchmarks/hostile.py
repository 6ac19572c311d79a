"""What hostile input costs the server: a link, a command line and an archived config with 50,000 hidden widths.

Each must be refused in linear time at the first limit passed (a probe once waited 123 s for a 30,000-width link).
``tests/unit/test_hostile.py`` counts the work; this times it. The figures are in docs/performance.md.

    python -m benchmarks.hostile [--widths 50000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from aecore.errors import AecoreError
from aecore.settings.config import RunConfig
from aecore.settings.links import config_from_query
from aecore.settings.parameters import config_from_settings
from aecore.settings.validation import validate


def timed(check: Callable[[], object], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        try:
            check()
        except AecoreError:
            pass
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    widths = ",".join(["1"] * args.widths)
    cases = {
        "link ?variant=deep&hidden=…": lambda: config_from_query(
            {"variant": "deep", "hidden": widths}, [], RunConfig()
        ),
        "command line --hidden …": lambda: config_from_settings("digits", "deep", "cpu", {"hidden": widths}),
        "archive config.json": lambda: validate(
            RunConfig.from_json('{"model": {"variant": "deep", "hidden": [' + widths + "]}}")
        ),
    }
    print(f"{args.widths:,} hidden widths ({len(widths):,} characters), {args.repeats} repeats")
    for name, check in cases.items():
        seconds = timed(check, args.repeats)
        print(f"{name:32} min {min(seconds) * 1e3:8.2f} ms  median {statistics.median(seconds) * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
