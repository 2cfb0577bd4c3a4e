"""Inline button presses: validated like typed input, answered, then confirmed by an edit.

Every press gets an answer to its callback query, so the client stops its spinner. Data
that no button of this bot produces is forged or from an older release and gets
``callback_invalid``; a button about a movie that left the catalogue, or a ``/movies``
page past the end, gets ``callback_stale``.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import replies
from bot.callbacks import (
    ForgetPress,
    InvalidCallback,
    NextPress,
    PagePress,
    RatePress,
    StarsPress,
    UnseenPress,
    parse_callback,
)
from bot.handlers.browse import show_page
from bot.handlers.common import edit_message, is_personal, registered_user, service, texts_of
from bot.replies import Reply
from bot.service import InvalidRequest

__all__ = ["PICK_COUNT", "on_button"]

logger = logging.getLogger(__name__)

# Movies offered per pick list, by /rate and after each rating from one.
PICK_COUNT = 5


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Validate a button press, carry it out and edit the message to confirm it."""
    query = update.callback_query
    texts = texts_of(update)
    try:
        press = parse_callback(query.data)
    except InvalidCallback:
        logger.info("user %d pressed a button with invalid data", query.from_user.id)
        await query.answer(texts("callback_invalid"), show_alert=True)
        return
    if not is_personal(update):
        await query.answer(texts("use_personal_account"), show_alert=True)
        return
    owner = _message_owner(query)
    if owner is not None and owner != query.from_user.id and not isinstance(press, ForgetPress):
        logger.info("user %d pressed a button of user %d's message", query.from_user.id, owner)
        await query.answer(texts("callback_not_yours"), show_alert=True)
        return

    if isinstance(press, ForgetPress):
        await _forget(update, context, press)
        return
    if isinstance(press, PagePress):
        await show_page(update, context, press.page)
        return
    registered = await registered_user(update, context)
    if registered is None:
        return
    user = registered[0]
    try:
        if isinstance(press, RatePress):
            await _rate(update, context, user, press)
        elif isinstance(press, StarsPress):
            await _stars(update, context, press)
        elif isinstance(press, UnseenPress):
            await _unseen(update, context, user, press)
        elif isinstance(press, NextPress):
            await _next_picks_page(update, context, user, press)
    except InvalidRequest as error:
        key = "callback_stale" if error.key == "movie_not_found" else "callback_invalid"
        logger.info("user %d pressed a button that failed: %s", query.from_user.id, error.key)
        await query.answer(texts(key), show_alert=True)


def _message_owner(query: CallbackQuery) -> int | None:
    """Return who sent the command that the pressed message answers, if it is known.

    In groups the bot's replies quote the command, so ``reply_to_message`` names its sender.
    Private chats and messages the client can no longer access carry no such quote.
    """
    original = getattr(query.message, "reply_to_message", None)
    sender = getattr(original, "from_user", None)
    return None if sender is None else sender.id


async def _next_picks(context: ContextTypes.DEFAULT_TYPE, user: int) -> list[tuple[int, str]]:
    return await service(context).movies_to_rate(user, PICK_COUNT)


async def _rate(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user: int, press: RatePress
) -> None:
    recommender = service(context)
    recommender.check_movie(press.movie_id)
    written = await recommender.rate(user, press.movie_id, press.rating)
    texts = texts_of(update)
    await update.callback_query.answer(texts("callback_saved"))
    saved = replies.rate_saved(texts, written, recommender.titles.get(press.movie_id))
    picker = replies.rate_picker(texts, await _next_picks(context, user))
    await edit_message(update.callback_query, replies.joined(saved, picker))


async def _stars(update: Update, context: ContextTypes.DEFAULT_TYPE, press: StarsPress) -> None:
    recommender = service(context)
    recommender.check_movie(press.movie_id)
    await update.callback_query.answer()
    reply = replies.stars(
        texts_of(update),
        press.movie_id,
        recommender.titles[press.movie_id],
        recommender.scale,
        recommender.details.get(press.movie_id),
    )
    await edit_message(update.callback_query, reply)


async def _unseen(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user: int, press: UnseenPress
) -> None:
    recommender = service(context)
    await recommender.mark_unseen(user, press.movie_id)
    texts = texts_of(update)
    await update.callback_query.answer()
    noted = replies.unseen_saved(texts, press.movie_id, recommender.titles[press.movie_id])
    picker = replies.rate_picker(texts, await _next_picks(context, user))
    await edit_message(update.callback_query, replies.joined(noted, picker))


async def _next_picks_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user: int, press: NextPress
) -> None:
    query = update.callback_query
    texts = texts_of(update)
    recommender = service(context)
    if press.genre is not None and press.genre not in recommender.genres:
        # A button from before an import that changed the catalogue's genres.
        await query.answer(texts("callback_stale"), show_alert=True)
        return
    result = await recommender.recommend(
        user, include_rated=press.include_rated, offset=press.offset, genre=press.genre
    )
    if not result.movies:
        await query.answer(texts("callback_stale"), show_alert=True)
        return
    await query.answer()
    reply = replies.recommendations(texts, result, include_rated=press.include_rated)
    await edit_message(query, reply)


async def _forget(update: Update, context: ContextTypes.DEFAULT_TYPE, press: ForgetPress) -> None:
    query = update.callback_query
    texts = texts_of(update)
    if press.telegram_id != query.from_user.id:
        await query.answer(texts("callback_not_yours"), show_alert=True)
        return
    await query.answer()
    if not press.confirm:
        await edit_message(query, Reply(texts("forget_cancelled")))
        return
    forgotten = await service(context).forget(press.telegram_id)
    await edit_message(query, Reply(texts("forget_done" if forgotten else "forget_nothing")))
