"""The user's own data: /myratings, /unrate, /export and /forget."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot import replies
from bot.export import EXPORT_FILENAME
from bot.handlers.common import is_personal, send, service, texts_of
from bot.handlers.parsing import parse_movie_id
from bot.replies import Reply
from bot.service import InvalidRequest

__all__ = ["export", "forget", "my_ratings", "unrate"]


async def _known_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Return the sender's user ID without registering them; reply if there is none."""
    texts = texts_of(update)
    if not is_personal(update):
        await send(update, Reply(texts("use_personal_account")))
        return None
    user = await service(context).lookup(update.effective_user.id)
    if user is None:
        await send(update, Reply(texts("forget_nothing")))
    return user


async def my_ratings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the user's ratings, newest first."""
    user = await _known_user(update, context)
    if user is None:
        return
    recommender = service(context)
    records = await recommender.records(user)
    await send(update, replies.my_ratings(texts_of(update), records, recommender.titles))


async def unrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove one of the user's ratings."""
    texts = texts_of(update)
    arguments = context.args or []
    try:
        if not arguments:
            raise InvalidRequest("unrate_missing_movie")
        if len(arguments) != 1:
            raise InvalidRequest("movie_id_invalid", value=replies.preview(" ".join(arguments)))
        movie_id = parse_movie_id(arguments[0])
    except InvalidRequest as error:
        await send(update, replies.invalid_request(texts, error, "unrate_usage"))
        return
    user = await _known_user(update, context)
    if user is None:
        return
    recommender = service(context)
    if not await recommender.unrate(user, movie_id):
        await send(update, Reply(texts("unrate_missing", movie_id=movie_id)))
        return
    await send(update, replies.unrate_done(texts, movie_id, recommender.titles.get(movie_id)))


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the user's ratings and not-seen marks as a CSV file."""
    user = await _known_user(update, context)
    if user is None:
        return
    texts = texts_of(update)
    content, count = await service(context).export_csv(user)
    if count == 0:
        await send(update, Reply(texts("export_empty")))
        return
    await update.effective_message.reply_document(
        InputFile(content, filename=EXPORT_FILENAME, attach=True),
        caption=texts("export_caption", count=count),
    )


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask for confirmation before deleting everything stored about the user."""
    user = await _known_user(update, context)
    if user is None:
        return
    records = await service(context).records(user)
    await send(
        update, replies.forget_prompt(texts_of(update), len(records), update.effective_user.id)
    )
