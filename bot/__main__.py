"""Entry point: ``python -m bot`` runs on Telegram, ``python -m bot chat`` chats locally.

``python -m bot import-movielens DIR [--replace]`` imports a MovieLens data set into the
store in ``DATA_DIR``.

``python -m bot health`` runs before the heavy imports (torch, pandas, python-telegram-bot),
so that Docker's health check stays fast: they are imported inside ``main``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

    from bot.config import Settings

logger = logging.getLogger("bot")

TOKEN_VARIABLE = "TELEGRAM_BOT_TOKEN"
MISSING_TOKEN = (
    f"error: {TOKEN_VARIABLE} is not set. Put {TOKEN_VARIABLE}=<token> in the environment "
    "or in a .env file in the working directory; get a token from @BotFather in Telegram. "
    "To try the bot without a token, run: python -m bot chat"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Movie recommender bot.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run on Telegram, polling or on a webhook (the default)")
    commands.add_parser(
        "health", help="exit 0 if the running bot polled or served updates recently, else 1"
    )
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


def describe_invalid_settings(error: ValidationError) -> str:
    """List each invalid setting by its environment variable; input values stay hidden."""
    lines = ["error: invalid settings (environment or .env):"]
    for problem in error.errors():
        name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
        lines.append(f"  {name}: {problem['msg']}")
    lines.append("See .env.example for each setting's allowed values.")
    return "\n".join(lines)


def load_settings() -> Settings | None:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()
    except ValidationError as error:
        print(describe_invalid_settings(error), file=sys.stderr)
        return None


def run_import(settings: Settings, folder: Path, replace: bool) -> int:
    """Import a MovieLens folder into the store in DATA_DIR; print what changed."""
    from bot.app import CHECKPOINT_NAME, DATABASE_NAME
    from bot.movielens import MovieLensImportError, import_movielens
    from bot.storage import Store

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
        dropped = summary.dropped_chat_ratings
        noun = "rating" if dropped == 1 else "ratings"
        print(f"Dropped {dropped} chat {noun} of replaced movies.")
    checkpoint = settings.data_dir / CHECKPOINT_NAME
    if checkpoint.exists():
        # The saved model learned the old catalogue: the bot would serve it until a retrain.
        checkpoint.unlink()
        print(f"Removed the model checkpoint {checkpoint}: the bot trains a new model at start.")
    print("Restart the bot to serve the new catalogue.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "health":
        from bot.health import main as check_health

        return check_health()

    import torch

    from bot.app import build_application
    from bot.console import run_console
    from bot.logs import configure_logging
    from bot.runner import run_bot
    from bot.storage import StorageError

    settings = load_settings()
    if settings is None:
        return 2
    token = settings.telegram_bot_token
    configure_logging(settings.log_level_number(), secrets=settings.secrets())
    torch.set_num_threads(settings.torch_threads)

    try:
        if args.command == "import-movielens":
            return run_import(settings, args.folder, args.replace)
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
        application = build_application(settings)
        return run_bot(application, settings)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
