"""Command handlers: parse the command, call the service, send the reply.

Each handler works for private chats and groups alike (``/rate@BotName 102 5``), and each
group member is their own user. Edited messages are ignored: only new messages run
commands, so an edit never applies a command twice.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot import replies
from bot.service import InvalidRequest, RecommenderService

__all__ = ["SERVICE_KEY", "register_handlers"]

logger = logging.getLogger(__name__)

SERVICE_KEY = "service"
MOVIE_ID_PATTERN = re.compile(r"[0-9]{1,18}", re.ASCII)
RATING_PATTERN = re.compile(r"[0-9]+(?:[.,][0-9]+)?", re.ASCII)


def _service(context: ContextTypes.DEFAULT_TYPE) -> RecommenderService:
    return context.application.bot_data[SERVICE_KEY]


async def _register(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[int, bool] | None:
    """Register the sender; return (user ID, created), or ``None`` for channels and bots."""
    user = update.effective_user
    if user is None or user.is_bot or update.effective_message.sender_chat is not None:
        await update.effective_message.reply_text(replies.use_personal_account())
        return None
    return await _service(context).register(user.id)


async def _user_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    registered = await _register(update, context)
    return None if registered is None else registered[0]


def parse_movie_id(text: str) -> int:
    if not MOVIE_ID_PATTERN.fullmatch(text):
        raise InvalidRequest(
            f"Movie ID must be a whole number like 102, got {replies.preview(text)}."
        )
    return int(text)


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
        raise InvalidRequest(f"Rating must be a finite number, got {replies.preview(text)}.")
    raise InvalidRequest(f"Rating must be a number like 4 or 4.5, got {replies.preview(text)}.")


def parse_rate_arguments(arguments: list[str]) -> tuple[int, float]:
    """Return (movie ID, rating) from ``/rate`` arguments or raise ``InvalidRequest``."""
    if not arguments:
        raise InvalidRequest("Missing the movie ID and the rating.")
    if len(arguments) == 1:
        raise InvalidRequest("Missing the rating.")
    if len(arguments) > 2:
        raise InvalidRequest(f"Expected two arguments, got {len(arguments)}.")
    return parse_movie_id(arguments[0]), parse_rating(arguments[1])


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Register the user and say which user number they have."""
    registered = await _register(update, context)
    if registered is not None:
        await update.effective_message.reply_text(replies.welcome(*registered))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands with examples."""
    if await _user_id(update, context) is None:
        return
    service = _service(context)
    text = replies.help_text(service.scale, list(service.titles))
    await update.effective_message.reply_text(text)


async def rate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Validate and store a rating, then acknowledge it before any training."""
    user_id = await _user_id(update, context)
    if user_id is None:
        return
    try:
        movie_id, rating = parse_rate_arguments(context.args or [])
        written = await _service(context).rate(user_id, movie_id, rating)
    except InvalidRequest as error:
        await update.effective_message.reply_text(replies.rate_error(str(error)))
        return
    await update.effective_message.reply_text(replies.rate_saved(written))


async def recommend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Rank the user's movies, waiting briefly for a training that includes their rating."""
    user_id = await _user_id(update, context)
    if user_id is None:
        return
    arguments = context.args or []
    if len(arguments) > 1 or (arguments and arguments[0].lower() != "all"):
        await update.effective_message.reply_text(replies.recommend_error(" ".join(arguments)))
        return

    service = _service(context)
    if await service.training_pending(user_id):
        await update.effective_chat.send_action(
            ChatAction.TYPING, message_thread_id=update.effective_message.message_thread_id
        )
        await service.wait_for_model(user_id)
    include_rated = bool(arguments)
    result = await service.recommend(user_id, include_rated=include_rated)
    await update.effective_message.reply_text(
        replies.recommendations(result, include_rated=include_rated)
    )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point to /help for a command this bot does not have."""
    await update.effective_message.reply_text(replies.unknown_command())


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Point to /help for a private message that is not a command."""
    await update.effective_message.reply_text(replies.not_a_command())


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an unexpected exception with the update and user IDs, and apologise."""
    update_id = update.update_id if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    logger.error(
        "error while handling update %s from user %s",
        update_id,
        user.id if user is not None else None,
        exc_info=context.error,
    )
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(replies.apology())
        except Exception:
            logger.exception("could not send the apology for update %s", update_id)


def register_handlers(application: Application) -> None:
    """Add the command handlers, the fallbacks and the error handler."""
    new_messages = filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            CommandHandler("start", start, filters=new_messages),
            CommandHandler("help", help_command, filters=new_messages),
            CommandHandler("rate", rate, filters=new_messages),
            CommandHandler("recommend", recommend, filters=new_messages),
            CommandHandler("status", status, filters=new_messages),
        ]
    )
    private = filters.ChatType.PRIVATE & new_messages
    application.add_handlers(
        [
            MessageHandler(private & filters.COMMAND, unknown_command),
            MessageHandler(private & filters.TEXT, plain_text),
        ]
    )
    application.add_error_handler(on_error)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the served model, how many ratings it learned and the state of training."""
    service = _service(context)
    stored = await asyncio.to_thread(service.store.rating_count)
    text = replies.status(service.trainer.status(), stored)
    await update.effective_message.reply_text(text)
