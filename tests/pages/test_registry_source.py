"""The parameter registry is the one source of a setting: one added to it (here by the test, for the undercomplete
variant) reaches the Train page, the command line, the URL and the Runs table with no other edit."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aecore.cli.main import _config, _parser
from aecore.runs import index
from aecore.runs.store import RunStore
from aecore.settings.config import ModelConfig, RunConfig
from aecore.settings.links import config_from_query, query_from_config
from aecore.settings.parameters import PARAMETERS, Parameter
from aecore.settings.validation import validate
from aecore.settings.variants import VARIANTS
from pages import _ui as ui

ROOT = Path(__file__).resolve().parents[2]
NAME = "code_width"
LABEL = "Code width (added by a test)"


def add_setting(monkeypatch) -> None:
    """A new registry entry (the code size again, under a name no other code knows) shown by the undercomplete
    variant: the two registry edits adding a setting takes, and nothing else."""
    parameter = Parameter(
        "model", "latent_dim", LABEL, "The code size, under a new name.", "int", 1, 512, 1, short="width"
    )
    monkeypatch.setitem(PARAMETERS, NAME, parameter)
    variant = VARIANTS["undercomplete"]
    monkeypatch.setitem(VARIANTS, "undercomplete", replace(variant, hyperparameters=(*variant.hyperparameters, NAME)))


def test_a_new_setting_is_an_option_of_the_command_line_with_its_help_and_kind(monkeypatch, capsys):
    add_setting(monkeypatch)
    parser = _parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--help"])
    assert "--code-width" in capsys.readouterr().out
    config = validate(_config(parser.parse_args(["train", "--variant", "undercomplete", "--code-width", "7"])))
    assert config.model.latent_dim == 7
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--variant", "undercomplete", "--code-width", "seven"])  # an int, as registered


def test_a_registry_option_keeps_its_range_and_its_other_spellings(capsys):
    parser = _parser()
    args = parser.parse_args(["train", "--variant", "deep", "--lr", "0.01", "--epochs", "300", "--no-xla"])
    config = validate(_config(args))
    assert (config.training.learning_rate, config.training.epochs, config.training.xla) == (0.01, 300, False)
    assert parser.parse_args(["train", "--learning-rate", "0.02"]).learning_rate == 0.02
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["train", "--variant", "deep", "--epochs", "10001"])
    assert exit_info.value.code == 2 and "outside 1 … 10,000" in capsys.readouterr().err
    assert PARAMETERS["epochs"].maximum == 200, "the page offers fewer epochs than the command line"


def test_a_new_setting_travels_in_the_url(monkeypatch):
    add_setting(monkeypatch)
    query = query_from_config(RunConfig(model=ModelConfig(variant="undercomplete", latent_dim=7)))
    assert query[NAME] == "7"
    config, notices = config_from_query({"variant": "undercomplete", NAME: "9"}, ["mnist-5k"], RunConfig())
    assert not notices and config.model.latent_dim == 9


def test_a_new_setting_becomes_a_column_of_the_run_index_and_an_older_index_is_rebuilt(monkeypatch, tmp_path):
    store = RunStore(tmp_path / "runs")
    folder, lock = store.create(validate(RunConfig(model=ModelConfig(variant="undercomplete", latent_dim=7))))
    lock.release()
    before = index.schema_version()
    assert NAME not in store.list()[0].parameters

    add_setting(monkeypatch)
    assert index.schema_version() != before
    reopened = RunStore(tmp_path / "runs")  # the index on disk is the older version: rebuilt from the folders
    assert reopened.index.is_current()
    (record,) = reopened.list()
    assert record.id == folder.run_id and record.parameters[NAME] == 7
    assert reopened.list(variant="undercomplete")[0].parameters["latent_dim"] == 7


def test_a_new_setting_is_a_control_of_the_train_page_and_shows_in_the_runs_table(monkeypatch, page_store):
    add_setting(monkeypatch)
    at = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=120)
    at.run()
    at.selectbox(key=ui.widget_key("variant")).set_value("undercomplete").run()
    assert not at.exception, at.exception
    (control,) = [widget for widget in at.number_input if widget.label == LABEL]
    assert control.value == 32, "the control starts at the variant's code size"

    _, lock = page_store.create(validate(RunConfig(model=ModelConfig(variant="undercomplete", latent_dim=7))))
    lock.release()
    runs = AppTest.from_file(str(ROOT / "pages" / "runs.py"), default_timeout=120)
    runs.run()
    assert not runs.exception, runs.exception
    assert "width 7" in runs.dataframe[0].value["Settings"][0]
