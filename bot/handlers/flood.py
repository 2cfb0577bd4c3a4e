"""The per-user flood check, run before every other handler.

A user who sends more than ``FLOOD_LIMIT_COMMANDS`` commands or button presses within
``FLOOD_LIMIT_SECONDS`` gets one notice per window, and the updates over the limit are
dropped before any handler runs, so nothing of them is stored. Without a guard in
``bot_data`` (the console chat) every update passes.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.flood import FLOOD_GUARD_KEY, FloodGuard
from bot.handlers.common import texts_of

__all__ = ["check_flood"]

logger = logging.getLogger(__name__)


def _counts(update: Update) -> bool:
    """Return true for commands, button presses and private messages, which get replies."""
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None:
        return False
    text = message.text or ""
    return text.startswith("/") or message.chat.type == message.chat.PRIVATE


async def check_flood(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop an update over the sender's limit, with one notice per window."""
    user = update.effective_user
    if user is None or not _counts(update):
        return
    guard: FloodGuard | None = context.application.bot_data.get(FLOOD_GUARD_KEY)
    if guard is None or guard.admit(user.id):
        return

    if guard.should_notify(user.id):
        logger.info("user %d is over the command limit: dropping updates", user.id)
        notice = texts_of(update)("flood_notice")
        if update.callback_query is not None:
            await update.callback_query.answer(notice)
        else:
            await update.message.reply_text(notice)
    elif update.callback_query is not None:
        await update.callback_query.answer()
    raise ApplicationHandlerStop
