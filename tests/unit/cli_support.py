"""The command line run in-process, as the CLI tests call it."""

import pytest

from aecore.cli.main import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``python -m aecore ARGS``."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
