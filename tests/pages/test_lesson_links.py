"""Lesson links on the Train page (AppTest): what a student sees, what they cannot change, and the link a teacher
makes; the ready lessons on the About page."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from page_support import texts
from streamlit.testing.v1 import AppTest

from aecore.settings.lessons import LESSONS, lesson_from_query
from pages import _ui as ui

ROOT = Path(__file__).resolve().parents[2]
TRAIN_PAGE = str(ROOT / "pages" / "train.py")
ABOUT_PAGE = str(ROOT / "pages" / "about.py")
TIMEOUT = 120
LESSON = {
    "variant": "sparse",
    "dataset": "digits",
    "rho": "0.1",
    "epochs": "1",
    "hide": "beta,learning_rate,nope",
    "lock": "rho,variant",
    "title": "What *ρ* does",
    "note": "Change [only this](javascript:alert(1)) setting.\n<b>Then</b> press Train.",
}


def lesson_page(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def widget_labels(at: AppTest) -> set[str]:
    return {widget.label for widget in [*at.selectbox, *at.slider, *at.number_input, *at.text_input, *at.toggle]}


def test_a_lesson_link_shows_its_texts_as_typed_hides_and_locks_its_settings() -> None:
    at = lesson_page(LESSON)
    assert [heading.value for heading in at.subheader] == [r"What \*ρ\* does"]  # shown as typed, not in italics
    note = next(info.value for info in at.info if "only this" in info.value)
    assert "\\[only this\\]\\(javascript" in note and "\\<b\\>" in note, "no link, no HTML: plain text"
    assert "no control is called 'nope'" in texts(at.warning)
    labels = widget_labels(at)
    assert "β (sparsity weight)" not in labels and "Learning rate" not in labels and "Preset" not in labels
    rho = at.slider(key=ui.widget_key("rho"))
    assert rho.disabled and rho.value == 0.1
    assert at.selectbox(key=ui.widget_key("variant")).disabled
    assert not at.slider(key=ui.widget_key("noise_level")).disabled, "what the lesson leaves free stays free"
    assert not next(button for button in at.button if button.label == "Train").disabled
    assert at.query_params["hide"] == "beta,learning_rate" and at.query_params["lock"] == "rho,variant"


def test_a_locked_or_hidden_setting_edited_by_hand_does_not_reach_the_run() -> None:
    at = lesson_page(LESSON)
    # widget values a crafted client could send: a disabled widget's, a widget the page does not show
    at.session_state[ui.widget_key("rho")] = 0.4
    at.session_state[ui.widget_key("beta")] = 9.0
    at.slider(key=ui.widget_key("noise_level")).set_value(0.2).run()
    assert not at.exception, at.exception
    assert at.slider(key=ui.widget_key("rho")).value == 0.1
    assert at.query_params["rho"] == "0.1" and at.query_params["noise_level"] == "0.2"
    assert at.query_params["beta"] != "9"
    next(button for button in at.button if button.label == "Train").click().run()
    assert not at.exception, at.exception
    entry = ui.run_registry().claim(at.session_state[ui.RUN_TOKEN_KEY], "test", at.session_state[ui.SECRET_KEY])
    manager = ui.job_manager()
    config = manager.snapshot(entry.job_id).config
    manager.stop(entry.job_id)
    assert config.regularisation.rho == 0.1 and config.noise.level == 0.2
    assert config.regularisation.beta != 9.0 and config.model.variant == "sparse"


def test_the_teacher_makes_a_lesson_link_from_the_current_settings() -> None:
    at = lesson_page({"variant": "sparse", "dataset": "digits", "rho": "0.05"})
    assert not at.subheader, "no lesson, no lesson title"
    at.multiselect(key="lesson_hide").set_value(["beta", "learning_rate"])
    at.multiselect(key="lesson_lock").set_value(["variant", "dataset"])
    at.text_input(key="lesson_title").input("Sparse codes")
    at.text_area(key="lesson_note").input("Try rho = 0.05, then 0.5.")
    at.checkbox(key="lesson_present").check()
    at.run()
    assert not at.exception, at.exception
    link = next(code.value for code in at.code if "hide=" in code.value)
    query = dict(parse_qsl(urlsplit(link).query))
    assert query["rho"] == "0.05" and query["variant"] == "sparse"
    lesson, notices = lesson_from_query(query)
    assert notices == [] and lesson.hidden == ("beta", "learning_rate") and lesson.locked == ("variant", "dataset")
    assert lesson.title == "Sparse codes" and lesson.note == "Try rho = 0.05, then 0.5." and lesson.present


def test_a_lesson_link_with_present_opens_the_projector_view() -> None:
    at = lesson_page({"variant": "sparse", "dataset": "digits", "title": "Watch the code", "present": "1"})
    assert next(toggle for toggle in at.toggle if toggle.label == "Projector").value
    assert "Variant" not in widget_labels(at) and "Preset" not in widget_labels(at), "no controls on a projector"
    assert any("stSidebar" in str(element.proto) for element in at.get("html")), "the projector style is on"
    assert [heading.value for heading in at.subheader] == ["Watch the code"] and not at.title
    assert at.query_params["present"] == "1", "a reload stays in projector mode"
    next(toggle for toggle in at.toggle if toggle.label == "Projector").set_value(False).run()
    assert "Variant" in widget_labels(at) and at.title[0].value == "Train"


def test_the_about_page_lists_the_ready_lessons_with_their_links() -> None:
    at = AppTest.from_file(ABOUT_PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    shown = texts(at.markdown)
    links = re.findall(r"\[Open this lesson\]\(([^)]*)\)", shown)
    assert len(links) == len(LESSONS)
    for ready, link in zip(LESSONS.values(), links, strict=True):
        assert ready.lesson.title in shown
        assert lesson_from_query(dict(parse_qsl(urlsplit(link).query))) == (ready.lesson, [])


def test_the_train_page_offers_its_settings_as_a_python_script() -> None:
    at = lesson_page({"variant": "sparse", "dataset": "digits", "rho": "0.05"})
    labels = [element.proto.label for element in at.get("download_button")]
    assert "Python script" in labels
