"""Entry point: ``python -m bot`` polls Telegram, ``python -m bot chat`` chats locally."""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys

import torch
from pydantic import ValidationError
from telegram import Update

from bot.app import build_application
from bot.config import TOKEN_VARIABLE, Settings
from bot.console import run_console
from bot.logs import configure_logging
from bot.storage import StorageError

logger = logging.getLogger("bot")

MISSING_TOKEN = (
    f"error: {TOKEN_VARIABLE} is not set. Put {TOKEN_VARIABLE}=<token> in the environment "
    "or in a .env file in the working directory; get a token from @BotFather in Telegram. "
    "To try the bot without a token, run: python -m bot chat"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Movie recommender bot.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="poll Telegram for updates (the default)")
    commands.add_parser("chat", help="chat with the bot in this terminal, no token needed")
    return parser


def describe_invalid_settings(error: ValidationError) -> str:
    """List each invalid setting by its environment variable; input values stay hidden."""
    lines = ["error: invalid settings (environment or .env):"]
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        lines.append(f"  {name}: {problem['msg']}")
    lines.append("See .env.example for each setting's allowed values.")
    return "\n".join(lines)


def load_settings() -> Settings | None:
    try:
        return Settings()
    except ValidationError as error:
        print(describe_invalid_settings(error), file=sys.stderr)
        return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    token = settings.telegram_bot_token
    if args.command == "chat":
        # Undecodable input bytes become U+FFFD instead of ending the chat.
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(errors="replace")
        if settings.log_level == "INFO":
            # The chat prints to the same terminal: keep lifecycle lines out of the way.
            logging.getLogger().setLevel(logging.WARNING)
        return asyncio.run(run_console(settings))

    if token is None:
        print(MISSING_TOKEN, file=sys.stderr)
        return 2
    if settings.bot_mode == "webhook":
        # TODO: webhook mode needs WEBHOOK_URL, WEBHOOK_LISTEN, WEBHOOK_PORT and a secret.
        print(
            "error: BOT_MODE=webhook is not supported yet; use BOT_MODE=polling", file=sys.stderr
        )
        return 2
    application = build_application(settings)
    logger.info("polling for updates")
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    if settings is None:
        return 2
    token = settings.telegram_bot_token
    configure_logging(
        settings.log_level_number(),
        secrets=[token.get_secret_value()] if token is not None else [],
    )
    torch.set_num_threads(settings.torch_threads)
    try:
        return run(args, settings)
    except StorageError as error:
        print(f"error: {error}. Set DATA_DIR to a writable folder.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
