"""Entry point: ``python -m bot`` polls Telegram, ``python -m bot chat`` chats locally.

``python -m bot import-movielens DIR [--replace]`` imports a MovieLens data set into the
store in ``DATA_DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import torch
from pydantic import ValidationError
from telegram import Update

from bot.app import DATABASE_NAME, build_application
from bot.config import TOKEN_VARIABLE, Settings
from bot.console import run_console
from bot.logs import configure_logging
from bot.movielens import MovieLensImportError, import_movielens
from bot.storage import Store

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
    importer = commands.add_parser(
        "import-movielens",
        help="import movies.csv, ratings.csv and links.csv from a MovieLens folder",
    )
    importer.add_argument("folder", type=Path, metavar="DIR", help="the MovieLens folder")
    importer.add_argument(
        "--replace",
        action="store_true",
        help="drop chat users' ratings of movies that the import replaces",
    )
    return parser


def run_import(settings: Settings, folder: Path, replace: bool) -> int:
    """Import a MovieLens folder into the store in DATA_DIR; print what changed."""
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    store = Store(
        settings.data_dir / DATABASE_NAME,
        default_scale=settings.rating_scale(),
        load_demo_data=settings.load_demo_data,
    )
    try:
        summary = import_movielens(
            store, folder, replace=replace, progress=lambda line: print(line, file=sys.stderr)
        )
    except MovieLensImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    if not summary.changed:
        print(f"{folder} is already imported: nothing changed.")
        return 0
    print(
        f"Imported {summary.movies} movies, {summary.users} users and {summary.ratings} "
        f"ratings into {store.path} (rating scale 0.5 to 5 in steps of 0.5)."
    )
    if summary.dropped_chat_ratings:
        print(f"Dropped {summary.dropped_chat_ratings} chat ratings of replaced movies.")
    print("Restart the bot to serve the new catalogue.")
    return 0


def load_settings() -> Settings | None:
    try:
        return Settings()
    except ValidationError as error:
        print(f"error: invalid settings\n{error}", file=sys.stderr)
        return None


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

    if args.command == "import-movielens":
        return run_import(settings, args.folder, args.replace)
    if args.command == "chat":
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


if __name__ == "__main__":
    sys.exit(main())
