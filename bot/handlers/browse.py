"""Browsing the catalogue: /movies and its previous and next buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import replies
from bot.handlers.common import edit_message, send, service, texts_of
from bot.handlers.parsing import parse_page
from bot.service import InvalidRequest

__all__ = ["MOVIES_PER_PAGE", "movies", "show_page"]

# 20 lines of at most ~110 characters each stay far below Telegram's 4,096.
MOVIES_PER_PAGE = 20


async def movies(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show one page of the catalogue, the first unless a page number is given."""
    arguments = context.args or []
    try:
        page = parse_page(arguments)
    except InvalidRequest as error:
        await send(update, replies.invalid_request(texts_of(update), error, "movies_usage"))
        return
    await show_page(update, context, page)


async def show_page(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int) -> None:
    """Send page ``page`` of the catalogue, or edit the message whose button asked for it."""
    texts = texts_of(update)
    titles = service(context).titles
    pages = max(1, -(-len(titles) // MOVIES_PER_PAGE))
    query = update.callback_query
    if page > pages:
        if query is not None:
            await query.answer(texts("callback_stale"), show_alert=True)
        else:
            await send(update, replies.page_missing(texts, page, pages))
        return

    start = (page - 1) * MOVIES_PER_PAGE
    movie_ids = list(titles)[start : start + MOVIES_PER_PAGE]
    details = service(context).details
    page_movies = [(movie, titles[movie], details.get(movie)) for movie in movie_ids]
    reply = replies.movies_page(texts, page_movies, start + 1, page, pages, len(titles))
    if query is None:
        await send(update, reply)
        return
    await query.answer()
    await edit_message(query, reply)
