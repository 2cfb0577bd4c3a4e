"""Fallback replies and the global error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import ContextTypes

from bot.handlers.common import send, texts_of
from bot.replies import Reply

__all__ = ["on_error", "plain_text", "unknown_command"]

logger = logging.getLogger(__name__)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point to /help for a command this bot does not have."""
    await send(update, Reply(texts_of(update)("unknown_command")))


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point to /help for a private message that is not a command."""
    await send(update, Reply(texts_of(update)("not_a_command")))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an unexpected exception with the update and user IDs, and apologise."""
    update_id = update.update_id if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    user_id = user.id if user is not None else None
    error = context.error
    if isinstance(error, Forbidden):
        # The user blocked the bot or left the chat: nothing can reach them, so no retry.
        logger.info("update %s: user %s cannot be reached: %s", update_id, user_id, error)
        return
    if isinstance(error, InvalidToken):
        # Every further call fails the same way, the apology included.
        logger.error(
            "update %s: the Bot API rejected the token (%s): set a valid TELEGRAM_BOT_TOKEN "
            "and restart the bot",
            update_id,
            error,
        )
        return
    if isinstance(error, BadRequest):
        # The Bot API refused one request; the traceback is at DEBUG for a closer look.
        logger.error(
            "update %s from user %s: the Bot API rejected a request: %s", update_id, user_id, error
        )
        logger.debug("traceback of update %s", update_id, exc_info=error)
    else:
        logger.error(
            "error while handling update %s from user %s", update_id, user_id, exc_info=error
        )
    if not isinstance(update, Update):
        return
    apology = texts_of(update)("apology")
    try:
        if update.callback_query is not None:
            # Answering stops the client's spinner on the pressed button.
            await update.callback_query.answer(apology, show_alert=True)
        elif update.effective_message is not None:
            await send(update, Reply(apology))
    except TelegramError as apology_error:
        logger.error("could not send the apology for update %s: %s", update_id, apology_error)
