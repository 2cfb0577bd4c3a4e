"""Callback data of inline buttons: building it, and parsing it as untrusted input.

Telegram returns a button's ``callback_data`` unchanged when the button is pressed, but a
client can send any string of up to 64 bytes, so every press is parsed and validated like
typed input. The format is ``<action>:<fields>`` in ASCII, such as ``r:102:4.5``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MAX_CALLBACK_BYTES",
    "ForgetPress",
    "InvalidCallback",
    "NextPress",
    "PagePress",
    "RatePress",
    "StarsPress",
    "UnseenPress",
    "parse_callback",
]

# Telegram's limit on InlineKeyboardButton.callback_data, in bytes.
MAX_CALLBACK_BYTES = 64


class InvalidCallback(ValueError):
    """Callback data that no button of this bot produces."""


@dataclass(frozen=True)
class RatePress:
    """A star button: rate ``movie_id`` with ``rating``."""

    movie_id: int
    rating: float

    def data(self) -> str:
        return _checked(f"r:{self.movie_id}:{self.rating:g}")


@dataclass(frozen=True)
class StarsPress:
    """A movie in a pick list: show the star buttons for ``movie_id``."""

    movie_id: int

    def data(self) -> str:
        return _checked(f"s:{self.movie_id}")


@dataclass(frozen=True)
class UnseenPress:
    """The "haven't seen it" button for ``movie_id``."""

    movie_id: int

    def data(self) -> str:
        return _checked(f"u:{self.movie_id}")


@dataclass(frozen=True)
class PagePress:
    """A previous or next button of the ``/movies`` list; ``page`` counts from 1."""

    page: int

    def data(self) -> str:
        return _checked(f"m:{self.page}")


@dataclass(frozen=True)
class ForgetPress:
    """A ``/forget`` confirmation button, which only ``telegram_id`` may press."""

    telegram_id: int
    confirm: bool

    def data(self) -> str:
        return _checked(f"f:{self.telegram_id}:{'y' if self.confirm else 'n'}")


@dataclass(frozen=True)
class NextPress:
    """The button for the next ``/recommend`` picks, from position ``offset``.

    ``genre`` is the casefolded genre of a ``/recommend <genre>`` list, or ``None``.
    """

    offset: int
    include_rated: bool
    genre: str | None = None

    def data(self) -> str:
        data = f"n:{self.offset}:{'a' if self.include_rated else 'u'}"
        if self.genre is not None:
            data += f":{self.genre}"
        return _checked(data)

    @staticmethod
    def fits(genre: str) -> bool:
        """Return true if a button can carry ``genre`` (ASCII letters, digits, " ()-")."""
        return _GENRE.fullmatch(genre) is not None


Press = RatePress | StarsPress | UnseenPress | PagePress | ForgetPress | NextPress

_NUMBER = r"(0|[1-9][0-9]{0,17})"
# Fits the 64 bytes with the longest offset: "n:999999999:u:" is 14 of them.
_GENRE = re.compile(r"[a-z0-9() -]{1,40}", re.ASCII)
_PATTERNS = {
    "r": re.compile(rf"{_NUMBER}:(0|[1-9][0-9]{{0,2}})(\.[0-9]{{1,3}})?", re.ASCII),
    "s": re.compile(_NUMBER, re.ASCII),
    "u": re.compile(_NUMBER, re.ASCII),
    "m": re.compile(r"([1-9][0-9]{0,8})", re.ASCII),
    "f": re.compile(r"([1-9][0-9]{0,18}):([yn])", re.ASCII),
    "n": re.compile(r"([1-9][0-9]{0,8}):([au])(?::([a-z0-9() -]{1,40}))?", re.ASCII),
}


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data {data!r} is over {MAX_CALLBACK_BYTES} bytes")
    return data


def parse_callback(data: str | None) -> Press:
    """Parse callback data; raise ``InvalidCallback`` for data no button produces."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        raise InvalidCallback("callback data is empty or too long")
    action, _, fields = data.partition(":")
    pattern = _PATTERNS.get(action)
    match = pattern.fullmatch(fields) if pattern is not None else None
    if match is None:
        raise InvalidCallback(f"unknown callback data {data[:MAX_CALLBACK_BYTES]!r}")
    groups = match.groups()
    if action == "r":
        return RatePress(int(groups[0]), float(groups[1] + (groups[2] or "")))
    if action == "s":
        return StarsPress(int(groups[0]))
    if action == "u":
        return UnseenPress(int(groups[0]))
    if action == "m":
        return PagePress(int(groups[0]))
    if action == "n":
        return NextPress(int(groups[0]), groups[1] == "a", groups[2])
    return ForgetPress(int(groups[0]), groups[1] == "y")
