"""The store's index: one SQLite file (WAL) with a row per run, so listing 1,000 runs reads one table.

The index is a cache of the run folders: every row is made from a folder's ``run.json``, ``config.json``
and ``metrics.json`` (``row_from_files``), so deleting ``index.sqlite`` loses nothing (``RunStore.rebuild_index``).
Each call opens its own connection: sqlite3 connections are not shared between threads, and WAL lets one
writer and many readers (other sessions, other processes) work at once.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aecore.config import RunConfig

INDEX_FILE = "index.sqlite"
#: a writer waits this long for another writer before giving up with a clear error
BUSY_TIMEOUT_SECONDS = 30.0

#: the hyperparameters kept as columns, so the Runs page can show and filter them without reading any config
PARAMETER_COLUMNS = {
    "hidden": ("model", "hidden"),
    "latent_dim": ("model", "latent_dim"),
    "loss": ("model", "loss"),
    "rho": ("regularisation", "rho"),
    "beta": ("regularisation", "beta"),
    "alpha": ("regularisation", "alpha"),
    "lam": ("regularisation", "lam"),
    "sparsity": ("regularisation", "sparsity"),
    "noise_kind": ("noise", "kind"),
    "noise_level": ("noise", "level"),
    "learning_rate": ("training", "learning_rate"),
    "batch_size": ("training", "batch_size"),
    "seed": ("training", "seed"),
}
METRIC_COLUMNS = ("test_mse", "test_psnr", "test_elbo")
COLUMNS = (
    "id",
    "name",
    "tags",
    "variant",
    "dataset",
    *PARAMETER_COLUMNS,
    "epochs",
    "epochs_done",
    "status",
    "message",
    "created",
    "ended",
    *METRIC_COLUMNS,
    "metrics",
    "sweep",
    "config",
)
_SCHEMA = f"CREATE TABLE IF NOT EXISTS runs ({', '.join(COLUMNS)}, PRIMARY KEY (id))"


@dataclass(frozen=True)
class RunRecord:
    """One run as the index knows it: what a table row, a filter or the CLI's ``runs list`` needs."""

    id: str
    name: str
    tags: tuple[str, ...]
    variant: str
    dataset: str
    parameters: dict[str, Any]
    epochs: int
    epochs_done: int
    status: str
    message: str
    created: float
    ended: float | None
    metrics: dict[str, float]
    sweep: str | None
    config_json: str

    @property
    def config(self) -> RunConfig:
        return RunConfig.from_json(self.config_json)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``python -m aecore runs list --json``."""
        return {
            "id": self.id,
            "name": self.name,
            "tags": list(self.tags),
            "variant": self.variant,
            "dataset": self.dataset,
            "status": self.status,
            "message": self.message,
            "epochs_done": self.epochs_done,
            "epochs": self.epochs,
            "created": self.created,
            "ended": self.ended,
            "sweep": self.sweep,
            "parameters": self.parameters,
            "metrics": self.metrics,
        }


def row_from_files(run_id: str, meta: dict[str, Any], config: RunConfig, metrics: dict[str, Any]) -> dict[str, Any]:
    """The index row of a run, made from its folder's files (the one place the two are tied together)."""
    sections = config.to_dict()
    row: dict[str, Any] = {
        "id": run_id,
        "name": meta.get("name") or run_id,
        "tags": json.dumps(list(meta.get("tags", []))),
        "variant": config.model.variant,
        "dataset": config.dataset,
        "epochs": config.training.epochs,
        "epochs_done": int(meta.get("epochs_done", 0)),
        "status": meta.get("status", "interrupted"),
        "message": meta.get("message", ""),
        "created": float(meta.get("created", 0.0)),
        "ended": meta.get("ended"),
        "metrics": json.dumps(metrics),
        "sweep": meta.get("sweep"),
        "config": config.to_json(),
    }
    for column, (section, field) in PARAMETER_COLUMNS.items():
        value = sections[section][field]
        row[column] = json.dumps(value) if isinstance(value, (list, tuple)) else value
    for column in METRIC_COLUMNS:
        row[column] = metrics.get(column)
    return row


def _record(row: sqlite3.Row) -> RunRecord:
    parameters = {column: row[column] for column in PARAMETER_COLUMNS}
    if parameters["hidden"] is not None:
        parameters["hidden"] = tuple(json.loads(parameters["hidden"]))
    return RunRecord(
        id=row["id"],
        name=row["name"],
        tags=tuple(json.loads(row["tags"])),
        variant=row["variant"],
        dataset=row["dataset"],
        parameters=parameters,
        epochs=row["epochs"],
        epochs_done=row["epochs_done"],
        status=row["status"],
        message=row["message"] or "",
        created=row["created"],
        ended=row["ended"],
        metrics=json.loads(row["metrics"]),
        sweep=row["sweep"],
        config_json=row["config"],
    )


class RunIndex:
    def __init__(self, root: Path) -> None:
        self.path = root / INDEX_FILE

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(_SCHEMA)
            yield connection
        finally:
            connection.close()

    def upsert(self, row: dict[str, Any]) -> None:
        placeholders = ", ".join(f":{column}" for column in COLUMNS)
        with self.connection() as connection:
            connection.execute(f"INSERT OR REPLACE INTO runs ({', '.join(COLUMNS)}) VALUES ({placeholders})", row)

    def replace_all(self, rows: list[dict[str, Any]]) -> None:
        """Empty the index and fill it from ``rows`` in one transaction (readers see the old or the new)."""
        placeholders = ", ".join(f":{column}" for column in COLUMNS)
        with self.connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("DELETE FROM runs")
                connection.executemany(f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def delete(self, run_id: str) -> None:
        with self.connection() as connection:
            connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def get(self, run_id: str) -> RunRecord | None:
        with self.connection() as connection:
            row = connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _record(row)

    def select(self, where: dict[str, Any]) -> list[RunRecord]:
        """Runs matching every ``column = value`` in ``where`` (a tag matches if the run has it), newest first."""
        clauses, values = [], []
        for column, value in where.items():
            if value is None:
                continue
            if column == "tag":
                clauses.append("EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE json_each.value = ?)")
            else:
                if column not in COLUMNS:
                    raise ValueError(f"unknown column {column}")
                clauses.append(f"{column} = ?")
            values.append(value)
        query = "SELECT * FROM runs" + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY created DESC"
        with self.connection() as connection:
            rows = connection.execute(query, values).fetchall()
        return [_record(row) for row in rows]
