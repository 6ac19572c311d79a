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
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aecore.settings.config import RunConfig
from aecore.settings.parameters import PARAMETERS

INDEX_FILE = "index.sqlite"
#: a writer waits this long for another writer before giving up with a clear error
BUSY_TIMEOUT_SECONDS = 30.0

#: the columns every run has whatever the registry holds (``epochs`` is the setting, beside ``epochs_done``)
FIXED_COLUMNS = ("id", "name", "tags", "variant", "dataset", "epochs", "epochs_done", "status", "message")
METRIC_COLUMNS = ("test_mse", "test_psnr", "test_elbo")


def parameter_columns() -> dict[str, tuple[str, str]]:
    """Every setting of the parameter registry as a column (name -> where it lives in ``RunConfig``), so the Runs
    page and ``runs list`` show and filter it without reading any config: a setting added to the registry becomes
    a column with no other edit (read at each call, so the index follows the registry)."""
    return {name: (entry.section, entry.field) for name, entry in PARAMETERS.items() if name not in FIXED_COLUMNS}


def columns() -> tuple[str, ...]:
    return (
        *FIXED_COLUMNS[:5],
        *parameter_columns(),
        *FIXED_COLUMNS[5:],
        "created",
        "ended",
        *METRIC_COLUMNS,
        "metrics",
        "sweep",
        "config",
    )


def _schema() -> str:
    return f"CREATE TABLE IF NOT EXISTS runs ({', '.join(columns())}, PRIMARY KEY (id))"


def schema_version() -> int:
    """The index's format, kept in SQLite's ``user_version``: it changes with the columns, and an index of another
    version is rebuilt from the run folders when a store opens (``RunStore``), so no column is ever missing."""
    return zlib.crc32(_schema().encode()) & 0x7FFFFFFF


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
    for column, (section, field) in parameter_columns().items():
        value = sections[section][field]
        row[column] = json.dumps(value) if isinstance(value, (list, tuple)) else value
    for column in METRIC_COLUMNS:
        row[column] = metrics.get(column)
    return row


def record_from_row(row: sqlite3.Row | dict[str, Any]) -> RunRecord:
    """A record from an index row, or from ``row_from_files`` when the index cannot be read."""
    parameters = {column: row[column] for column in parameter_columns()}
    for name, value in parameters.items():
        if PARAMETERS[name].kind == "widths" and value is not None:
            parameters[name] = tuple(json.loads(value))
        elif PARAMETERS[name].kind == "bool" and value is not None:
            parameters[name] = bool(value)
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
            connection.execute(_schema())
            if connection.execute("PRAGMA user_version").fetchone()[0] == 0 and self._columns(connection) == columns():
                connection.execute(f"PRAGMA user_version = {schema_version()}")  # made just now by this code
            yield connection
        finally:
            connection.close()

    @staticmethod
    def _columns(connection: sqlite3.Connection) -> tuple[str, ...]:
        return tuple(column["name"] for column in connection.execute("PRAGMA table_info(runs)"))

    def is_current(self) -> bool:
        """Whether the index file has this code's columns (False for one written by another version)."""
        with self.connection() as connection:
            return connection.execute("PRAGMA user_version").fetchone()[0] == schema_version()

    def upsert(self, row: dict[str, Any]) -> None:
        names = columns()
        placeholders = ", ".join(f":{column}" for column in names)
        with self.connection() as connection:
            connection.execute(f"INSERT OR REPLACE INTO runs ({', '.join(names)}) VALUES ({placeholders})", row)

    def replace_all(self, rows: list[dict[str, Any]]) -> None:
        """Empty the index and fill it from ``rows`` in one transaction (readers see the old or the new)."""
        names = columns()
        placeholders = ", ".join(f":{column}" for column in names)
        with self.connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("DROP TABLE runs")  # its columns may be another version's
                connection.execute(_schema())
                connection.execute(f"PRAGMA user_version = {schema_version()}")
                connection.executemany(f"INSERT INTO runs ({', '.join(names)}) VALUES ({placeholders})", rows)
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
        return None if row is None else record_from_row(row)

    def select(self, where: dict[str, Any]) -> list[RunRecord]:
        """Runs matching every ``column = value`` in ``where`` (a tag matches if the run has it), newest first."""
        clauses, values = [], []
        for column, value in where.items():
            if value is None:
                continue
            if column == "tag":
                clauses.append("EXISTS (SELECT 1 FROM json_each(runs.tags) WHERE json_each.value = ?)")
            else:
                if column not in columns():
                    raise ValueError(f"unknown column {column}")
                clauses.append(f"{column} = ?")
            values.append(value)
        query = "SELECT * FROM runs" + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY created DESC"
        with self.connection() as connection:
            rows = connection.execute(query, values).fetchall()
        return [record_from_row(row) for row in rows]
