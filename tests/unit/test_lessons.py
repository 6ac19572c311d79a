"""Lesson links: read back as written, hostile ones cut short with notices, their texts shown as typed."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from aecore.data.registry import list_datasets
from aecore.settings.config import RunConfig
from aecore.settings.lessons import (
    CONTROL_NAMES,
    LESSONS,
    MAX_NOTE_CHARS,
    MAX_TITLE_CHARS,
    Lesson,
    is_loopback,
    lesson_from_query,
    lesson_link,
    plain_markdown,
    query_from_lesson,
    with_host,
)
from aecore.settings.links import RESERVED, config_from_query, query_from_config
from aecore.settings.validation import validate


def test_a_lesson_reads_back_as_it_was_written() -> None:
    lesson = Lesson(("beta", "learning_rate"), ("variant", "rho"), title="ρ and sparsity", note="a\nb", present=True)
    assert lesson_from_query(query_from_lesson(lesson)) == (lesson, [])
    assert query_from_lesson(Lesson()) == {}, "no lesson, no lesson parameters in the URL"
    assert set(query_from_lesson(lesson)) <= set(RESERVED), "a lesson's parameters are never read as settings"


def test_unknown_names_are_dropped_with_a_notice_that_names_them() -> None:
    lesson, notices = lesson_from_query({"hide": "rho, nope,rho,,beta", "lock": "variant,<script>"})
    assert lesson.hidden == ("rho", "beta") and lesson.locked == ("variant",)
    assert notices == ["hide: no control is called 'nope'", "lock: no control is called '<script>'"]


def test_projector_mode_is_one_or_nothing() -> None:
    assert lesson_from_query({"present": "1"}) == (Lesson(present=True), [])
    assert lesson_from_query({"present": "0"}) == (Lesson(), [])
    assert lesson_from_query({"present": "yes please"}) == (Lesson(), ["present: 'yes please' is not 1 or 0"])


def test_a_locked_setting_that_is_also_hidden_counts_as_hidden() -> None:
    lesson = Lesson(hidden=("rho",), locked=("rho", "beta"))
    assert lesson.is_hidden("rho") and not lesson.is_locked("rho") and lesson.is_locked("beta")
    assert lesson.fixed == {"rho", "beta"}


def test_over_long_texts_are_cut_and_control_characters_dropped() -> None:
    lesson, notices = lesson_from_query({"title": "t" * 1000 + "\x1b[31m", "note": "line\x00 one\nline two" * 200})
    assert lesson.title == "t" * MAX_TITLE_CHARS
    assert len(lesson.note) <= MAX_NOTE_CHARS and "\x00" not in lesson.note and "\n" in lesson.note
    assert notices == [
        f"the title was cut to {MAX_TITLE_CHARS} characters",
        f"the note was cut to {MAX_NOTE_CHARS} characters",
    ]


def test_a_hostile_list_of_names_is_read_only_as_far_as_there_are_controls() -> None:
    """The work is bounded by the number of controls, not by the link: the split stops there."""
    lesson, notices = lesson_from_query({"hide": "rho," * 30_000})
    assert lesson.hidden == ("rho",)
    assert notices == [f"hide: only the first {len(CONTROL_NAMES)} names are read"]
    lesson, notices = lesson_from_query({"hide": ",".join(f"x{n}" for n in range(5000))})
    assert lesson.hidden == () and len(notices) == 2 and "and " in notices[1]


@pytest.mark.parametrize(
    "text",
    [
        "[click me](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "# heading **bold** _it_ `code` $x^2$ ~~gone~~",
        "1. not a list\n- nor this\n> nor a quote | table |",
        "https://example.com/a_b",
    ],
)
def test_teaching_texts_are_escaped_so_markdown_shows_them_as_typed(text: str) -> None:
    escaped = plain_markdown(text)
    unescaped = re.sub(r"\\(.)", "", escaped)  # what is left once every escaped character is removed
    assert not re.search(r"[\[\]()<>*_`$#~|]", unescaped), escaped
    assert re.sub(r"\\(.)", r"\1", escaped).replace("  \n", "\n") == text


def test_a_link_made_on_the_servers_own_machine_is_known_as_such() -> None:
    assert is_loopback("http://localhost:8501/") and is_loopback("http://127.0.0.1:8501/")
    assert is_loopback("http://[::1]:8501/") and not is_loopback("http://10.0.0.7:8501/")
    assert not is_loopback("https://lab.school.example/")
    assert with_host("http://localhost:8501/?a=1", "10.0.0.7") == "http://10.0.0.7:8501/?a=1"


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_every_ready_lesson_link_gives_its_settings_and_lesson_without_a_notice(lesson_id: str) -> None:
    ready = LESSONS[lesson_id]
    link = lesson_link("http://10.0.0.7:8501/", ready.config, ready.lesson)
    query = dict(parse_qsl(urlsplit(link).query))
    datasets = [info.name for info in list_datasets()]
    config, notices = config_from_query({k: v for k, v in query.items() if k not in RESERVED}, datasets, RunConfig())
    assert notices == [] and config == validate(ready.config)
    assert lesson_from_query(query) == (ready.lesson, [])
    assert ready.lesson.title and ready.lesson.note and {"variant", "dataset"} <= ready.lesson.fixed
    assert len([name for name in query if name not in ready.lesson.fixed and name not in RESERVED]) >= 2


def test_a_link_carries_the_convolutional_models_channels_and_names_a_mistyped_one() -> None:
    query = {"variant": "conv_denoising", "dataset": "digits", "channels": "16,8", "downsampling": "stride"}
    config, notices = config_from_query(query, ["digits"], RunConfig())
    assert notices == [] and (config.model.channels, config.model.downsampling) == ((16, 8), "stride")
    assert config_from_query(query_from_config(config), ["digits"], RunConfig())[0] == config
    _, notices = config_from_query({**query, "channels": "16,x"}, ["digits"], RunConfig())
    assert any("Channels must be whole numbers" in notice and "16, 8, 8" in notice for notice in notices), notices
