"""``python -m aecore datasets [add FILE | remove NAME]``: the built-in datasets and the users' own, in the run store.

The same code as the Train page's upload (``RunStore.add_dataset``): the same checks, limits and messages.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aecore.cli.tables import text_table
from aecore.data.uploads import MAX_UPLOAD_BYTES
from aecore.errors import AecoreError, quoted


def add_datasets_parser(commands: argparse._SubParsersAction) -> None:
    datasets = commands.add_parser("datasets", help="list the datasets; add or remove your own")
    datasets.add_argument("--json", action="store_true", help="print JSON instead of a table")
    actions = datasets.add_subparsers(dest="action", parser_class=type(datasets))
    add = actions.add_parser("add", help="store a .npz, .npy, IDX (.gz) or .zip of PNG/JPEG images as a dataset")
    add.add_argument("file", help="the file to add (at most 200 MB; 100,000 images; 1 GB as 8-bit images)")
    add.add_argument("--name", help="the dataset's name (default: the file's name); used as upload:NAME")
    add.add_argument("--json", action="store_true", help="print the stored dataset as JSON")
    remove = actions.add_parser("remove", help="delete an uploaded dataset that no run needs")
    remove.add_argument("name", help="its name, with or without upload:")


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:  # refused before it is read into memory
            raise AecoreError(
                f"{quoted(str(path))} takes {size / 1e6:,.0f} MB; a dataset file may take at most "
                f"{MAX_UPLOAD_BYTES / 1e6:g} MB."
            )
        return path.read_bytes()
    except OSError as error:
        raise AecoreError(f"Cannot read {quoted(str(path))}: {error.strerror or error}.") from None


def datasets_command(args: argparse.Namespace) -> int:
    from aecore.data.registry import list_datasets
    from aecore.runs.store import RunStore

    store = RunStore()  # its uploaded datasets are listed and loadable from here on
    if args.action == "add":
        path = Path(args.file).expanduser()
        stored, new = store.add_dataset(path.name, _read_file(path), args.name)
        if args.json:
            print(json.dumps({**stored.to_dict(), "new": new}))
        else:
            what = "Added" if new else "Already stored (the same file)"
            print(f"{what}: {stored.full_name}, {stored.count:,} images of {stored.height}×{stored.width}.")
        return 0
    if args.action == "remove":
        stored = store.remove_dataset(args.name)
        print(f"Removed {stored.full_name}.")
        return 0
    rows = [info.to_dict() for info in list_datasets()]
    print(json.dumps(rows) if args.json else text_table(rows, ("name", "available", "n_train", "n_test", "reason")))
    return 0
