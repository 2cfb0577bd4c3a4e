"""Reply builders: every message the bot sends is built here from ``bot.texts``.

A ``Reply`` is plain text unless ``html`` is set. HTML replies escape every value that
comes from the catalogue or from a user (titles, names, typed words), so no value can
break the formatting.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.service import InvalidRequest, Recommendations
from bot.storage import RatingWrite
from bot.texts import Texts, texts_for
from recommender.data import RatingScale

__all__ = [
    "RATE_USAGE",
    "RECOMMEND_USAGE",
    "Reply",
    "movie_label",
    "preview",
    "rating_text",
]

_ENGLISH = texts_for("en")
RATE_USAGE = _ENGLISH("rate_usage")
RECOMMEND_USAGE = _ENGLISH("recommend_usage")
PREVIEW_LENGTH = 20
DEFAULT_EXAMPLE_MOVIE = 102


@dataclass(frozen=True)
class Reply:
    """A message to send: its text, whether the text is HTML, and its inline keyboard."""

    text: str
    html: bool = False
    keyboard: InlineKeyboardMarkup | None = None


def preview(text: str) -> str:
    """Quote user input for an error message: printable characters only, shortened."""
    cleaned = "".join(char if char.isprintable() else "?" for char in text)
    if len(cleaned) > PREVIEW_LENGTH:
        cleaned = cleaned[: PREVIEW_LENGTH - 1] + "…"
    return f"'{cleaned}'"


def rating_text(rating: float) -> str:
    return f"{rating:g}"


def movie_label(movie_id: int, title: str | None) -> str:
    """Return ``#102 Title`` as escaped HTML, or ``#102`` for a movie without a title."""
    if not title:
        return f"#{movie_id}"
    return f"#{movie_id} {html.escape(title)}"


def scale_text(texts: Texts, scale: RatingScale) -> str:
    return texts(
        "scale",
        low=rating_text(scale.minimum),
        high=rating_text(scale.maximum),
        step=rating_text(scale.step),
    )


def _example_movie(movie_ids: list[int]) -> int:
    if len(movie_ids) > 1:
        return movie_ids[1]
    return movie_ids[0] if movie_ids else DEFAULT_EXAMPLE_MOVIE


def welcome(texts: Texts, user_id: int, created: bool, movie_ids: list[int]) -> Reply:
    key = "welcome" if created else "welcome_back"
    return Reply(texts(key, user_id=user_id, example=_example_movie(movie_ids)))


def help_text(texts: Texts, scale: RatingScale, movie_ids: list[int], title_example: str) -> Reply:
    text = texts(
        "help",
        scale=scale_text(texts, scale),
        example=_example_movie(movie_ids),
        title_example=title_example,
    )
    return Reply(text)


def invalid_request(texts: Texts, error: InvalidRequest, usage_key: str) -> Reply:
    """Explain a rejected request, then show the command's usage line."""
    return Reply(f"{texts(error.key, **error.values)}\n{texts(usage_key)}")


def rate_saved(texts: Texts, written: RatingWrite, title: str | None) -> Reply:
    movie = movie_label(written.movie_id, title)
    rating = rating_text(written.rating)
    if written.previous is not None and written.previous != written.rating:
        previous = rating_text(written.previous)
        return Reply(texts("rate_replaced", movie=movie, rating=rating, previous=previous), True)
    return Reply(texts("rate_saved", movie=movie, rating=rating), html=True)


def recommend_error(texts: Texts, argument: str) -> Reply:
    reason = texts("recommend_unknown_option", value=preview(argument))
    return Reply(f"{reason}\n{texts('recommend_usage')}")


def _recommend_header(texts: Texts, result: Recommendations, include_rated: bool) -> str:
    if result.rated_count == 0:
        return texts("recommend_no_ratings")
    if not result.personal:
        return texts("recommend_not_learned")
    if include_rated:
        return texts("recommend_all_header")
    return texts("recommend_header")


def recommendations(texts: Texts, result: Recommendations, *, include_rated: bool) -> Reply:
    if not result.movies:
        return Reply(texts("recommend_all_rated"))

    lines = [_recommend_header(texts, result, include_rated)]
    for rank, movie in enumerate(result.movies, start=1):
        line = f"{rank}. Movie #{movie.movie_id}: {movie.score:.3f}"
        if movie.rating is not None:
            line += " " + texts("recommend_you_rated", rating=rating_text(movie.rating))
        lines.append(line)
    if not result.fresh:
        lines.append(texts("recommend_stale"))
    return Reply("\n".join(lines))
