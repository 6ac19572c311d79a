"""A lesson on the Train page: read from the tab's link once, shown at the top, held against edits, and made.

The lesson lives in the session beside the controls' values (``controls``): a page change keeps it, a reload
reads it again from the address bar, where ``share_in_url`` keeps it. The settings a lesson hides or locks keep
the link's values whatever the widgets send: ``hold_lesson_settings`` puts them back before every use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from aecore.settings.config import RunConfig
from aecore.settings.lessons import (
    MAX_NOTE_CHARS,
    MAX_TITLE_CHARS,
    Lesson,
    is_loopback,
    lesson_from_query,
    lesson_link,
    network_address,
    plain_markdown,
    with_host,
)
from aecore.settings.links import LESSON_PARAMETERS
from aecore.settings.variants import VARIANTS
from pages._ui.controls import LINK_NOTICE_KEY, control_values, widget_key

LESSON_KEY = "lesson"
LESSON_VALUES_KEY = "lesson_values"
#: the controls every variant has, besides its settings
FIRST_CONTROLS = ("variant", "dataset", "device")


def current_lesson() -> Lesson:
    """This tab's lesson (an empty one without a lesson link), read from the link the tab was opened with."""
    if LESSON_KEY not in st.session_state:
        values = control_values()  # the link's settings first: the lesson holds them
        query = {name: st.query_params[name] for name in LESSON_PARAMETERS if name in st.query_params}
        lesson, notices = lesson_from_query(query)
        if notices:
            st.session_state[LINK_NOTICE_KEY] = [*st.session_state.get(LINK_NOTICE_KEY, []), *notices]
        st.session_state[LESSON_KEY] = lesson
        st.session_state[LESSON_VALUES_KEY] = {name: values[name] for name in lesson.fixed}
    return st.session_state[LESSON_KEY]


def hold_lesson_settings(values: dict[str, Any]) -> None:
    """Put the lesson's values back in every setting it hides or locks (a widget edited by hand, a preset, a
    variant's defaults cannot move them)."""
    held = st.session_state.get(LESSON_VALUES_KEY, {})
    for name in current_lesson().fixed:
        if name in held:
            values[name] = held[name]
            if st.session_state.get(widget_key(name), held[name]) != held[name]:
                st.session_state[widget_key(name)] = held[name]


def lesson_header(with_note: bool = True) -> None:
    """The lesson's title and instructions at the top of the page, as plain text (the title alone on a projector,
    where the live view needs the height)."""
    lesson = current_lesson()
    if lesson.title:
        st.subheader(plain_markdown(lesson.title), anchor=False)
    if not with_note:
        return
    if lesson.note:
        st.info(plain_markdown(lesson.note), icon=":material/school:")
    if lesson.fixed:
        st.caption("This lesson's link hides or locks some settings: change the others, and press **Train**.")


PROJECTOR_KEY = "projector_mode"
PROJECTOR_CSS = Path(__file__).resolve().parents[2] / "assets" / "projector.css"


def projector_on() -> bool:
    """Whether the tab shows the Train page in projector mode (a lesson link with ``present=1`` starts in it)."""
    if PROJECTOR_KEY not in st.session_state:
        st.session_state[PROJECTOR_KEY] = current_lesson().present
    return bool(st.session_state[PROJECTOR_KEY])


def projector_toggle(place: Any) -> bool:
    """The projector-mode switch; on, the page's style for the back of the room is added."""
    projector_on()
    on = place.toggle(
        "Projector",
        key=PROJECTOR_KEY,
        help="For a projector: no sidebar and no controls, larger text and lines, and the loss chart, the probe "
        "images and the variant's own plot on one screen. Turn it off to change the settings.",
    )
    if on:
        st.html(f"<style>{PROJECTOR_CSS.read_text()}</style>")
    return on


def control_label(name: str, variant: str) -> str:
    return name if name in FIRST_CONTROLS else VARIANTS[variant].parameter(name).label


def lesson_link_popover(config: RunConfig) -> None:
    """ "Copy a lesson link": these settings, the controls to hide or lock, a title and instructions."""
    lesson = current_lesson()
    variant = config.model.variant
    names = [*FIRST_CONTROLS, *VARIANTS[variant].settings]
    with st.popover("Copy a lesson link", icon=":material/school:", width="stretch"):
        st.caption("Students who open it get these settings; hidden controls are not shown, locked ones are fixed.")
        hidden = st.multiselect(
            "Hide",
            names,
            default=[name for name in lesson.hidden if name in names],
            format_func=lambda name: control_label(name, variant),
            key="lesson_hide",
        )
        locked = st.multiselect(
            "Lock",
            [name for name in names if name not in hidden],
            default=[name for name in lesson.locked if name in names and name not in hidden],
            format_func=lambda name: control_label(name, variant),
            key="lesson_lock",
        )
        title = st.text_input("Title", value=lesson.title, max_chars=MAX_TITLE_CHARS, key="lesson_title")
        note = st.text_area("Instructions", value=lesson.note, max_chars=MAX_NOTE_CHARS, key="lesson_note")
        present = st.checkbox("Open in projector mode", value=lesson.present, key="lesson_present")
        page_url = (st.context.url or "").split("?")[0]
        address = network_address() if is_loopback(page_url) else None
        made = Lesson(tuple(hidden), tuple(locked), title.strip(), note.strip(), present)
        st.code(
            lesson_link(with_host(page_url, address) if address else page_url, config, made),
            language=None,
            wrap_lines=True,
        )
        if address:
            st.caption(
                f"Made with this server's network address, {address}: the page's own address works only on this "
                'computer. docs/guide.md ("Serving a room") says how students reach the server.'
            )
        elif is_loopback(page_url):
            st.warning(
                "This address works only on this computer, and no network address was found: students need the "
                "server's address on the room's network (docs/guide.md, \"Serving a room\", says how).",
                icon=":material/lan:",
            )
