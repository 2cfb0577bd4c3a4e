"""The bot's Telegram profile: the command menu and descriptions, in every language.

Telegram shows the commands in the chat's menu and the descriptions before a user presses
Start. The English texts are the default for every language without its own texts.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from bot.texts import FALLBACK_LANGUAGE, LANGUAGES, texts_for

__all__ = ["MENU_COMMANDS", "publish_profile"]

logger = logging.getLogger(__name__)

MENU_COMMANDS = (
    "rate",
    "recommend",
    "movies",
    "myratings",
    "unrate",
    "export",
    "forget",
    "status",
    "help",
    "start",
)


async def _publish_language(bot: Bot, language: str) -> None:
    texts = texts_for(language)
    language_code = None if language == FALLBACK_LANGUAGE else language
    commands = [BotCommand(name, texts(f"command_{name}")) for name in MENU_COMMANDS]
    await bot.set_my_commands(commands, language_code=language_code)
    await bot.set_my_description(texts("bot_description"), language_code=language_code)
    await bot.set_my_short_description(texts("bot_short_description"), language_code=language_code)


async def publish_profile(bot: Bot) -> None:
    """Register the command menu and descriptions; a failure is logged, not raised."""
    for language in LANGUAGES:
        try:
            await _publish_language(bot, language)
        except TelegramError as error:
            # The bot works without a menu, so a failed update must not stop start-up.
            logger.warning(
                "could not set the %s command menu and description: %s", language, error
            )
