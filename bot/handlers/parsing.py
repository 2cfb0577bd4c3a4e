"""Parsing of typed command arguments; every error is an ``InvalidRequest`` with a text key."""

from __future__ import annotations

import math
import re

from bot.replies import preview
from bot.service import InvalidRequest

__all__ = ["parse_movie_id", "parse_page", "parse_rate_arguments", "parse_rating"]

PAGE_PATTERN = re.compile(r"[1-9][0-9]{0,8}", re.ASCII)
MOVIE_ID_PATTERN = re.compile(r"[0-9]+", re.ASCII)
# SQLite stores integers in 64 bits; a longer ID cannot be in the catalogue.
MAX_MOVIE_ID = 2**63 - 1
# A sign is accepted so that -1 gets the scale's error rather than "not a number".
RATING_PATTERN = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?", re.ASCII)


def parse_movie_id(text: str) -> int:
    if not MOVIE_ID_PATTERN.fullmatch(text):
        raise InvalidRequest("movie_id_invalid", value=preview(text))
    movie_id = int(text)
    if movie_id > MAX_MOVIE_ID:
        raise InvalidRequest("movie_not_found", movie_id=preview(text).strip("'"))
    return movie_id


def parse_rating(text: str) -> float:
    """Parse a decimal rating such as ``4``, ``4.5`` or ``4,5``; the scale is checked later."""
    if RATING_PATTERN.fullmatch(text):
        # Overflows to infinity for absurdly long digit strings, which the scale rejects.
        return float(text.replace(",", "."))
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None and not math.isfinite(value):
        raise InvalidRequest("rating_not_finite", value=preview(text))
    raise InvalidRequest("rating_not_number", value=preview(text))


def parse_rate_arguments(arguments: list[str]) -> tuple[int | list[str], float]:
    """Return (movie ID or title words, rating) from ``/rate`` arguments.

    The last argument is the rating. The rest is a movie ID if it is one whole number of
    ASCII digits, and title words otherwise. Raises ``InvalidRequest``.
    """
    if not arguments:
        raise InvalidRequest("rate_missing_both")
    if len(arguments) == 1:
        raise InvalidRequest("rate_missing_rating")
    rating = parse_rating(arguments[-1])
    words = arguments[:-1]
    if len(words) == 1 and words[0].isascii() and words[0].isdigit():
        return parse_movie_id(words[0]), rating
    return words, rating


def parse_page(arguments: list[str]) -> int:
    """Return the page number from ``/movies`` arguments, 1 without any."""
    if not arguments:
        return 1
    if len(arguments) > 1 or not PAGE_PATTERN.fullmatch(arguments[0]):
        raise InvalidRequest("page_invalid", value=preview(" ".join(arguments)))
    return int(arguments[0])
