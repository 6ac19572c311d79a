"""The run store: a trained model with its config, history and test metrics, on disk.

A run folder holds ``model.keras``, ``config.json``, ``history.csv`` and ``metrics.json``,
so it loads again in Python, in the dashboard, or in plain Keras (with aecore imported).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aecore.config import RunConfig
from aecore.errors import AecoreError
from aecore.models import Autoencoder
from aecore.tensorflow_runtime import keras

MODEL_FILE, CONFIG_FILE, HISTORY_FILE, METRICS_FILE = "model.keras", "config.json", "history.csv", "metrics.json"


@dataclass(frozen=True)
class SavedRun:
    path: Path
    config: RunConfig
    history: list[dict[str, float]]
    metrics: dict[str, float]

    def load_model(self) -> Autoencoder:
        return keras.models.load_model(self.path / MODEL_FILE)


def history_csv(history: list[dict[str, float]]) -> str:
    """Per-epoch records as CSV, one column per key (the union of all records' keys)."""
    columns = list(dict.fromkeys(key for record in history for key in record))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(history)
    return buffer.getvalue()


def model_bytes(model: Autoencoder) -> bytes:
    """The ``.keras`` file of a model, for a download button."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / MODEL_FILE
        model.save(path)
        return path.read_bytes()


def save_run(
    directory: str | Path,
    model: Autoencoder,
    history: list[dict[str, float]],
    metrics: dict[str, float] | None = None,
) -> SavedRun:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    model.save(path / MODEL_FILE)
    (path / CONFIG_FILE).write_text(model.run_config.to_json())
    (path / HISTORY_FILE).write_text(history_csv(history))
    (path / METRICS_FILE).write_text(json.dumps(metrics or {}, indent=2))
    return SavedRun(path, model.run_config, history, metrics or {})


def load_run(directory: str | Path) -> SavedRun:
    path = Path(directory)
    missing = [name for name in (MODEL_FILE, CONFIG_FILE) if not (path / name).is_file()]
    if missing:
        raise AecoreError(f"'{path}' is not a saved run: {', '.join(missing)} missing.")
    history: list[dict[str, Any]] = []
    if (path / HISTORY_FILE).is_file():
        with (path / HISTORY_FILE).open() as handle:
            history = [
                {key: float(value) for key, value in row.items() if value != ""} for row in csv.DictReader(handle)
            ]
    metrics = json.loads((path / METRICS_FILE).read_text()) if (path / METRICS_FILE).is_file() else {}
    return SavedRun(path, RunConfig.from_json((path / CONFIG_FILE).read_text()), history, metrics)
