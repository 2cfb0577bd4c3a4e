"""Inline keyboards; every button's callback data comes from ``bot.callbacks``."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    ForgetPress,
    NextPress,
    PagePress,
    RatePress,
    StarsPress,
    UnseenPress,
)
from bot.texts import Texts
from recommender.data import RatingScale

__all__ = [
    "BUTTON_TITLE_LENGTH",
    "choice_keyboard",
    "forget_keyboard",
    "page_keyboard",
    "pick_keyboard",
    "recommend_keyboard",
    "stars_keyboard",
]

# Telegram cuts long button labels itself; a shorter label keeps the movie ID visible.
BUTTON_TITLE_LENGTH = 40
STARS_PER_ROW = 5


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def button_label(movie_id: int, title: str | None) -> str:
    """Return ``#102 Title`` as plain text for a button, shortened to fit."""
    return _shorten(f"#{movie_id} {title}" if title else f"#{movie_id}", BUTTON_TITLE_LENGTH)


def _pick_row(movie_id: int, title: str | None) -> list[InlineKeyboardButton]:
    label = button_label(movie_id, title)
    return [InlineKeyboardButton(label, callback_data=StarsPress(movie_id).data())]


def pick_keyboard(movies: Sequence[tuple[int, str | None]]) -> InlineKeyboardMarkup | None:
    """Build one button per movie, each opening its star buttons."""
    if not movies:
        return None
    return InlineKeyboardMarkup([_pick_row(movie_id, title) for movie_id, title in movies])


def choice_keyboard(
    movies: Sequence[tuple[int, str | None]], rating: float
) -> InlineKeyboardMarkup:
    """Build one button per movie, each rating it with ``rating`` when pressed."""
    rows = [
        [
            InlineKeyboardButton(
                f"{button_label(movie_id, title)} - {rating:g}★",
                callback_data=RatePress(movie_id, rating).data(),
            )
        ]
        for movie_id, title in movies
    ]
    return InlineKeyboardMarkup(rows)


def recommend_keyboard(
    texts: Texts,
    picks: Sequence[tuple[int, str | None]],
    next_page: NextPress | None,
) -> InlineKeyboardMarkup | None:
    """Build rating buttons for the top picks, then a button for the next picks if any."""
    rows = [
        [
            InlineKeyboardButton(
                button_label(movie_id, title), callback_data=StarsPress(movie_id).data()
            )
        ]
        for movie_id, title in picks
    ]
    if next_page is not None:
        rows.append(
            [InlineKeyboardButton(texts("button_more_picks"), callback_data=next_page.data())]
        )
    return InlineKeyboardMarkup(rows) if rows else None


def stars_keyboard(texts: Texts, movie_id: int, scale: RatingScale) -> InlineKeyboardMarkup:
    """Build a button for every rating on the scale, then "haven't seen it"."""
    buttons = [
        InlineKeyboardButton(f"{value:g}★", callback_data=RatePress(movie_id, value).data())
        for value in scale.values()
    ]
    rows = [
        buttons[start : start + STARS_PER_ROW] for start in range(0, len(buttons), STARS_PER_ROW)
    ]
    unseen = InlineKeyboardButton(
        texts("button_unseen"), callback_data=UnseenPress(movie_id).data()
    )
    rows.append([unseen])
    return InlineKeyboardMarkup(rows)


def page_keyboard(texts: Texts, page: int, pages: int) -> InlineKeyboardMarkup | None:
    """Build previous and next buttons around ``page``; return ``None`` for a single page."""
    row = []
    if page > 1:
        row.append(
            InlineKeyboardButton(
                texts("button_previous"), callback_data=PagePress(page - 1).data()
            )
        )
    if page < pages:
        row.append(
            InlineKeyboardButton(texts("button_next"), callback_data=PagePress(page + 1).data())
        )
    return InlineKeyboardMarkup([row]) if row else None


def forget_keyboard(texts: Texts, telegram_id: int) -> InlineKeyboardMarkup:
    """Build the buttons that confirm or cancel ``/forget``, for ``telegram_id`` only."""
    yes = ForgetPress(telegram_id, confirm=True).data()
    no = ForgetPress(telegram_id, confirm=False).data()
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts("button_forget_yes"), callback_data=yes)],
            [InlineKeyboardButton(texts("button_forget_no"), callback_data=no)],
        ]
    )
