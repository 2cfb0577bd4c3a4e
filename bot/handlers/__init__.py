"""Command handlers: parse the command, call the service, send the reply.

Each handler works for private chats and groups alike (``/rate@BotName 102 5``), and each
group member is their own user. Edited messages are ignored: only new messages run
commands, so an edit never applies a command twice.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers.browse import movies
from bot.handlers.buttons import on_button
from bot.handlers.commands import help_command, rate, recommend, start, status
from bot.handlers.common import SERVICE_KEY
from bot.handlers.data import export, forget, my_ratings, unrate
from bot.handlers.errors import on_error, plain_text, unknown_command
from bot.handlers.flood import check_flood

__all__ = ["SERVICE_KEY", "register_handlers"]


def register_handlers(application: Application) -> None:
    """Add the flood check, the command handlers, the fallbacks and the error handler."""
    application.add_handler(TypeHandler(Update, check_flood), group=-1)
    new_messages = filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            CommandHandler("start", start, filters=new_messages),
            CommandHandler("help", help_command, filters=new_messages),
            CommandHandler("rate", rate, filters=new_messages),
            CommandHandler("recommend", recommend, filters=new_messages),
            CommandHandler("status", status, filters=new_messages),
            CommandHandler("movies", movies, filters=new_messages),
            CommandHandler("myratings", my_ratings, filters=new_messages),
            CommandHandler("unrate", unrate, filters=new_messages),
            CommandHandler("export", export, filters=new_messages),
            CommandHandler("forget", forget, filters=new_messages),
            CallbackQueryHandler(on_button),
        ]
    )
    private = filters.ChatType.PRIVATE & new_messages
    application.add_handlers(
        [
            MessageHandler(private & filters.COMMAND, unknown_command),
            # Any other private message (text, sticker, photo with a caption) gets a pointer.
            MessageHandler(private & ~filters.COMMAND, plain_text),
        ]
    )
    application.add_error_handler(on_error)
