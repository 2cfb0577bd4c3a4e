"""Helpers every handler shares: the service, the sender's texts, registration, sending."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.replies import Reply
from bot.service import RecommenderService
from bot.texts import Texts, texts_for

__all__ = [
    "SERVICE_KEY",
    "edit_message",
    "is_personal",
    "parse_mode",
    "registered_user",
    "send",
    "service",
    "texts_of",
    "user_id",
]

logger = logging.getLogger(__name__)

SERVICE_KEY = "service"


def service(context: ContextTypes.DEFAULT_TYPE) -> RecommenderService:
    return context.application.bot_data[SERVICE_KEY]


def texts_of(update: Update) -> Texts:
    """Return the texts in the sender's Telegram language, English if unknown."""
    user = update.effective_user
    return texts_for(user.language_code if user is not None else None)


def parse_mode(reply: Reply) -> str | None:
    return ParseMode.HTML if reply.html else None


async def send(update: Update, reply: Reply) -> Message:
    """Send ``reply`` to the chat (and forum topic) that the update came from."""
    return await update.effective_message.reply_text(
        reply.text, parse_mode=parse_mode(reply), reply_markup=reply.keyboard
    )


async def edit_message(query: CallbackQuery, reply: Reply) -> None:
    """Replace the text and buttons of the message whose button was pressed."""
    try:
        await query.edit_message_text(
            reply.text, parse_mode=parse_mode(reply), reply_markup=reply.keyboard
        )
    except BadRequest as error:
        # Pressing the same button twice leaves the text unchanged, which Telegram rejects.
        logger.debug("could not edit the message of a button press: %s", error)


def is_personal(update: Update) -> bool:
    """Return true for a human sender: not a channel, an anonymous admin or a bot."""
    user = update.effective_user
    if user is None or user.is_bot:
        return False
    message = update.effective_message
    return message is None or message.sender_chat is None


async def registered_user(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[int, bool] | None:
    """Register the sender; return (user ID, created), or ``None`` for channels and bots."""
    if not is_personal(update):
        texts = texts_of(update)
        await send(update, Reply(texts("use_personal_account")))
        return None
    recommender = service(context)
    user = update.effective_user
    registered = await recommender.register(user.id)
    chat = update.effective_chat
    if chat is not None and chat.type in (chat.GROUP, chat.SUPERGROUP):
        await recommender.remember_member(chat.id, registered[0], user.first_name)
    return registered


async def user_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Return the sender's user ID, registering them, or ``None`` for channels and bots."""
    registered = await registered_user(update, context)
    return None if registered is None else registered[0]
