"""Reply builders: every message the bot sends is built here from ``bot.texts``.

A ``Reply`` is plain text unless ``html`` is set. HTML replies escape every value that
comes from the catalogue or from a user (titles, names, typed words), so no value can
break the formatting.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot.callbacks import NextPress
from bot.catalogue import MovieDetails
from bot.keyboards import (
    choice_keyboard,
    forget_keyboard,
    page_keyboard,
    pick_keyboard,
    recommend_keyboard,
    stars_keyboard,
)
from bot.service import GroupRecommendations, InvalidRequest, RankedMovie, Recommendations
from bot.storage import RatingRecord, RatingWrite
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
# Telegram rejects a message over 4,096 characters. Lists stop short of it, leaving room
# for a closing line.
MAX_MESSAGE_LENGTH = 4096
LIST_BUDGET = MAX_MESSAGE_LENGTH - 300
TITLE_LENGTH = 100
# Top picks of a /recommend reply that get a rating button.
RATE_BUTTONS = 5


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
    return f"#{movie_id} {html.escape(shorten(title))}"


def shorten(title: str) -> str:
    """Cut a title to ``TITLE_LENGTH`` characters, ending with an ellipsis if cut."""
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"


def movie_with_details(movie_id: int, title: str | None, details: MovieDetails | None) -> str:
    """Return ``#102 Title · Genre, Genre`` as HTML, the title linked to the movie's page.

    Years come with the titles (MovieLens writes ``Toy Story (1995)``).
    """
    if details is None:
        return movie_label(movie_id, title)
    text = html.escape(shorten(title)) if title else ""
    link = details.link()
    if link is not None and text:
        text = f'<a href="{html.escape(link)}">{text}</a>'
    line = f"#{movie_id} {text}".rstrip()
    if details.genres:
        line += " · " + html.escape(", ".join(details.genres))
    return line


def bounded_lines(lines: list[str], budget: int = LIST_BUDGET) -> list[str]:
    """Return the leading ``lines`` whose joined length stays within ``budget``."""
    kept: list[str] = []
    length = 0
    for line in lines:
        length += len(line) + 1
        if length > budget:
            break
        kept.append(line)
    return kept


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
        example_rating=rating_text(scale.values()[-2]),
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
        text = texts.html("rate_replaced", movie=movie, rating=rating, previous=previous)
        return Reply(text, html=True)
    return Reply(texts.html("rate_saved", movie=movie, rating=rating), html=True)


def recommend_error(texts: Texts, argument: str, has_genres: bool = True) -> Reply:
    """Explain an unknown /recommend argument; a single word may be meant as a genre."""
    key = "recommend_unknown_option"
    if not has_genres and len(argument.split()) == 1:
        key = "recommend_no_genres"
    reason = texts(key, value=preview(argument))
    return Reply(f"{reason}\n{texts('recommend_usage')}")


def _recommend_header(texts: Texts, result: Recommendations, include_rated: bool) -> str:
    if result.rated_count == 0:
        return texts("recommend_no_ratings")
    if result.needed_ratings:
        return texts("recommend_more_ratings", count=result.needed_ratings)
    if not result.personal:
        return texts("recommend_not_learned")
    if include_rated:
        return texts("recommend_all_header")
    if result.genre is not None:
        return texts("recommend_genre_header", genre=result.genre)
    return texts("recommend_header")


def _movie_line(texts: Texts, rank: int, movie: RankedMovie, *, personal_list: bool) -> str:
    line = f"{rank}. Movie {movie_label(movie.movie_id, movie.title)}: {movie.score:.3f}"
    if movie.predicted is not None:
        line += " " + texts.html("recommend_predicted", stars=f"{movie.predicted:.1f}")
    if movie.rating is not None:
        line += " " + texts.html("recommend_you_rated", rating=rating_text(movie.rating))
    elif not movie.rated_by_anyone:
        line += " " + texts.html("recommend_no_ratings_yet")
    elif personal_list and not movie.personal:
        line += " " + texts.html("recommend_average_rating")
    return line


def recommendations(texts: Texts, result: Recommendations, *, include_rated: bool) -> Reply:
    if not result.movies:
        return Reply(texts("recommend_all_rated"))

    lines = [html.escape(_recommend_header(texts, result, include_rated))]
    # Each movie's line and its "because" line stay together; movies past the message
    # length limit are left for the next-picks button.
    entries = []
    for rank, movie in enumerate(result.movies, start=result.offset + 1):
        entry = _movie_line(texts, rank, movie, personal_list=result.personal)
        because = result.because.get(movie.movie_id)
        if because is not None:
            because_line = texts.html("recommend_because", title=html.escape(shorten(because)))
            entry = f"{entry}\n{because_line}"
        entries.append(entry)
    entries = bounded_lines(entries) or entries[:1]
    movies = result.movies[: len(entries)]
    lines.extend(entries)
    if result.offset == 0 and len(movies) < result.total:
        lines.append(texts.html("recommend_cut", shown=len(movies), total=result.total))
    if not result.fresh:
        lines.append(texts.html("recommend_stale"))
    unrated = [(movie.movie_id, movie.title) for movie in movies if movie.rating is None]
    next_page = None
    genre = None if result.genre is None else result.genre.casefold()
    has_more = result.has_more or len(movies) < len(result.movies)
    # A genre whose name a button cannot carry ends its list at one page.
    if has_more and (genre is None or NextPress.fits(genre)):
        next_page = NextPress(result.offset + len(movies), include_rated, genre)
    keyboard = recommend_keyboard(texts, unrated[:RATE_BUTTONS], next_page)
    return Reply("\n".join(lines), html=True, keyboard=keyboard)


def rate_picker(texts: Texts, movies: list[tuple[int, str | None]]) -> Reply:
    """Offer movies to rate as buttons, with the usage line in the same message."""
    if not movies:
        return Reply(texts("rate_pick_done"))
    text = texts("rate_pick") + "\n" + texts("rate_usage")
    return Reply(text, keyboard=pick_keyboard(movies))


def joined(first: Reply, second: Reply) -> Reply:
    """Join two replies into one HTML message with the buttons of the second."""
    texts = [reply.text if reply.html else html.escape(reply.text) for reply in (first, second)]
    return Reply("\n\n".join(texts), html=True, keyboard=second.keyboard)


def stars(
    texts: Texts,
    movie_id: int,
    title: str | None,
    scale: RatingScale,
    details: MovieDetails | None = None,
) -> Reply:
    text = texts.html("rate_stars", movie=movie_with_details(movie_id, title, details))
    return Reply(text, html=True, keyboard=stars_keyboard(texts, movie_id, scale))


def unseen_saved(texts: Texts, movie_id: int, title: str | None) -> Reply:
    return Reply(texts.html("unseen_saved", movie=movie_label(movie_id, title)), html=True)


def my_ratings(texts: Texts, records: list[RatingRecord], titles: dict[int, str]) -> Reply:
    """List the user's ratings, newest first, as many as fit in one message."""
    rated = [record for record in records if record.rating is not None]
    if not rated:
        return Reply(texts("myratings_empty"))
    lines = [
        f"{movie_label(record.movie_id, titles.get(record.movie_id))}: "
        f"{rating_text(record.rating)}"
        for record in rated
    ]
    shown = bounded_lines(lines)
    text_lines = [texts.html("myratings_header", count=len(rated)), *shown]
    if len(shown) < len(rated):
        text_lines.append(texts.html("myratings_more", count=len(rated) - len(shown)))
    return Reply("\n".join(text_lines), html=True)


def unrate_done(texts: Texts, movie_id: int, title: str | None) -> Reply:
    return Reply(texts.html("unrate_done", movie=movie_label(movie_id, title)), html=True)


def forget_prompt(texts: Texts, count: int, telegram_id: int) -> Reply:
    text = texts("forget_confirm", count=count)
    return Reply(text, keyboard=forget_keyboard(texts, telegram_id))


def movies_page(
    texts: Texts,
    movies: list[tuple[int, str, MovieDetails | None]],
    first: int,
    page: int,
    pages: int,
    total: int,
) -> Reply:
    """Build one page of the catalogue, starting at position ``first``, with paging buttons."""
    if not movies:
        return Reply(texts("movies_empty"))
    header = texts(
        "movies_page",
        first=first,
        last=first + len(movies) - 1,
        total=total,
        page=page,
        pages=pages,
    )
    lines = bounded_lines(
        [movie_with_details(movie_id, title, details) for movie_id, title, details in movies]
    )
    return Reply(
        "\n".join([html.escape(header), *lines]),
        html=True,
        keyboard=page_keyboard(texts, page, pages),
    )


def page_missing(texts: Texts, page: int, pages: int) -> Reply:
    return Reply(f"{texts('page_missing', page=page, pages=pages)}\n{texts('movies_usage')}")


def title_choices(
    texts: Texts, quoted_words: str, movies: list[tuple[int, str]], rating: float
) -> Reply:
    """Offer the movies that typed title words match; a press rates it with ``rating``."""
    text = texts("rate_choose_match", words=quoted_words)
    return Reply(text, keyboard=choice_keyboard(movies, rating))


def group_recommendations(texts: Texts, result: GroupRecommendations) -> Reply:
    """Rank the group's picks, naming the members they are for."""
    if not result.member_names:
        return Reply(texts("recommend_group_nobody"))
    if not result.movies:
        return Reply(texts("recommend_group_all_rated"))
    names = ", ".join(html.escape(shorten(name)) for name in result.member_names)
    lines = [texts.html("recommend_group_header", names=names)]
    for rank, movie in enumerate(result.movies, start=1):
        lines.append(
            f"{rank}. Movie {movie_label(movie.movie_id, movie.title)}: {movie.score:.3f}"
        )
    return Reply("\n".join(bounded_lines(lines)), html=True)
