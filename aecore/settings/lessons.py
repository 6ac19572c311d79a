"""Lesson links: a teacher's settings, plus which controls a class may not touch, a title and a few lines of
instructions, all in the URL (``?variant=sparse&rho=0.05&hide=beta,lam&lock=variant&title=…&note=…``).

A lesson link comes from anywhere (a projector's slide, a chat), so reading one never fails, like the settings
it carries (``aecore.settings.links``): an unknown control name is dropped and an over-long text is cut, each
with a notice. Reading is linear in the link's length and stops at the first limit. The texts are plain text:
``plain_markdown`` escapes them for a page that renders markdown, so a note cannot make a link or run script.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from aecore.settings.config import RunConfig
from aecore.settings.links import LESSON_PARAMETERS, query_from_config
from aecore.settings.parameters import PARAMETERS
from aecore.settings.presets import PRESETS

#: the names a lesson may hide or lock: the URL's own names for the controls
CONTROL_NAMES = ("variant", "dataset", "device", *PARAMETERS)
MAX_TITLE_CHARS = 80
MAX_NOTE_CHARS = 600
#: unknown names listed one by one in the notice; the rest are counted
NAMED_UNKNOWN = 3
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")  # every control character but the newline
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&])")


@dataclass(frozen=True)
class Lesson:
    """What a lesson link adds to the settings: controls hidden, controls shown but locked, a title, a note, and
    whether the page opens in projector mode (``present=1``)."""

    hidden: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()
    title: str = ""
    note: str = ""
    present: bool = False

    @property
    def active(self) -> bool:
        return bool(self.hidden or self.locked or self.title or self.note or self.present)

    @property
    def fixed(self) -> frozenset[str]:
        """The controls a student cannot change: hidden or locked (hidden wins where both are named)."""
        return frozenset(self.hidden) | frozenset(self.locked)

    def is_hidden(self, name: str) -> bool:
        return name in self.hidden

    def is_locked(self, name: str) -> bool:
        return name in self.locked and name not in self.hidden


def _names(text: str, what: str, notices: list[str]) -> tuple[str, ...]:
    """Known control names from ``a,b,c``, in order, each once; at most as many pieces as there are controls are
    read (a longer list is cut there, with a notice), so a hostile link costs no more than a fair one."""
    pieces = text.split(",", len(CONTROL_NAMES))
    if len(pieces) > len(CONTROL_NAMES):
        pieces = pieces[: len(CONTROL_NAMES)]
        notices.append(f"{what}: only the first {len(CONTROL_NAMES)} names are read")
    names: list[str] = []
    unknown: list[str] = []
    for piece in (piece.strip() for piece in pieces):
        if piece in CONTROL_NAMES:
            if piece not in names:
                names.append(piece)
        elif piece:
            unknown.append(piece)
    if unknown:
        shown = ", ".join(f"'{name[:40]}'" for name in unknown[:NAMED_UNKNOWN])
        more = f" and {len(unknown) - NAMED_UNKNOWN} more" if len(unknown) > NAMED_UNKNOWN else ""
        notices.append(f"{what}: no control is called {shown}{more}")
    return tuple(names)


def _plain_text(text: str, limit: int, what: str, notices: list[str]) -> str:
    """The text without control characters, cut to ``limit`` characters (with a notice)."""
    if len(text) > limit:
        notices.append(f"the {what} was cut to {limit} characters")
        text = text[:limit]
    return _CONTROL_CHARACTERS.sub("", text).strip()


def lesson_from_query(query: dict[str, str]) -> tuple[Lesson, list[str]]:
    """The lesson a link names (an empty one when it names none), and a notice for everything it dropped."""
    notices: list[str] = []
    lesson = Lesson(
        hidden=_names(query.get("hide", ""), "hide", notices),
        locked=_names(query.get("lock", ""), "lock", notices),
        title=_plain_text(query.get("title", ""), MAX_TITLE_CHARS, "title", notices).replace("\n", " "),
        note=_plain_text(query.get("note", ""), MAX_NOTE_CHARS, "note", notices),
        present=_switch(query.get("present", ""), notices),
    )
    return lesson, notices


def _switch(text: str, notices: list[str]) -> bool:
    """``present=1`` (or ``true``) turns projector mode on; anything else but nothing is dropped with a notice."""
    if text.lower() in ("1", "true"):
        return True
    if text and text.lower() not in ("0", "false"):
        notices.append(f"present: '{text[:20]}' is not 1 or 0")
    return False


def query_from_lesson(lesson: Lesson) -> dict[str, str]:
    """The lesson's own query parameters (those it has): ``{"hide": "beta,lam", "title": "…"}``."""
    texts = (",".join(lesson.hidden), ",".join(lesson.locked), lesson.title, lesson.note, "1" if lesson.present else "")
    return {name: text for name, text in zip(LESSON_PARAMETERS, texts, strict=True) if text}


def lesson_link(page_url: str, config: RunConfig, lesson: Lesson) -> str:
    """A link to ``page_url`` (the Train page's address, without a query) with these settings and this lesson."""
    return f"{page_url.split('?')[0]}?{urlencode({**query_from_config(config), **query_from_lesson(lesson)}, safe=',')}"


def plain_markdown(text: str) -> str:
    """``text`` escaped for Streamlit's markdown, so it shows as typed: no emphasis, link, heading or formula;
    line breaks kept."""
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return "  \n".join(escaped.splitlines())


# ---------------------------------------------------------------------------------------------
# Serving a room: a link made on the server's own machine names a loopback address


def is_loopback(url: str) -> bool:
    """Whether the link names this machine only (``localhost``, ``127.0.0.1``, ``::1``): no student can open it."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def network_address() -> str | None:
    """This machine's address on its network (the interface of its default route), or None when it has none.

    A UDP socket's ``connect`` sends nothing; it only picks the interface the kernel would use.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 1))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if ipaddress.ip_address(address).is_loopback else address


def with_host(url: str, host: str) -> str:
    """``url`` with its host replaced, the port kept: the link as a student's laptop must open it."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{host}{port}").geturl()


# ---------------------------------------------------------------------------------------------
# Ready lessons a teacher can start from


@dataclass(frozen=True)
class ReadyLesson:
    config: RunConfig
    lesson: Lesson
    what_to_see: str


def _all_but(config: RunConfig, *shown: str) -> tuple[str, ...]:
    """Every setting of the config's variant except ``shown``: a class sees only what the lesson is about."""
    from aecore.settings.variants import VARIANTS

    return tuple(name for name in VARIANTS[config.model.variant].settings if name not in shown)


def _ready(preset_id: str, shown: tuple[str, ...], title: str, note: str, what_to_see: str) -> ReadyLesson:
    config = PRESETS[preset_id].config
    lesson = Lesson(hidden=_all_but(config, *shown), locked=("variant", "dataset"), title=title, note=note)
    return ReadyLesson(config, lesson, what_to_see)


LESSONS: dict[str, ReadyLesson] = {
    "sparse-rho": _ready(
        "sparse-code",
        ("rho", "epochs"),
        "What ρ does to a sparse code",
        "Train once with ρ = 0.05, then with ρ = 0.2 and ρ = 0.5. After each run, open the Sparsity page: where "
        "do the units' mean activations sit, and how many units are on for one image? Which ρ rebuilds the "
        "digits best, and why is that not the point of a sparse code?",
        "the mean activation follows ρ, and at ρ = 0.05 each image turns on only a few units",
    ),
    "denoising-noise": _ready(
        "seed-conv-denoising",
        ("noise_kind", "noise_level", "epochs"),
        "Denoising and the noise level",
        "Train the convolutional denoiser with noise level 0.1, then 0.3, then 0.5. Watch the probe images: "
        "clean, noisy, rebuilt. On the Denoising page, try each model on noise it was not trained for. Up to "
        "what level does it still recover the digit?",
        "the rebuilt digits stay clean well past the noise level a model was trained on, then blur",
    ),
    "vae-manifold-beta": _ready(
        "seed-vae-2d",
        ("beta", "epochs"),
        "The VAE's 2-D manifold and β",
        "Train the VAE with β = 1 and look at its manifold of digits. Then train with β = 0.1 and β = 4. "
        "Which β gives sharper digits, which a smoother map where every point is a digit? Compare the codes' "
        "scatter on the Latent space page.",
        "a small β sharpens the digits and tears the map apart; a large β smooths it and blurs them",
    ),
}
