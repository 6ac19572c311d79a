"""Throughput benchmarks; run them as modules from the repository root (python -m benchmarks.NAME)."""

import json


def print_rows(rows: list[dict], as_json: bool) -> None:
    """A benchmark's result rows: one JSON list, or one ``key=value`` line per row."""
    if as_json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(
            "  ".join(
                f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}" for key, value in row.items()
            )
        )
