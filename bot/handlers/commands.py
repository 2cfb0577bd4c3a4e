"""The core commands: /start, /help, /rate with arguments and /recommend."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot import replies
from bot.handlers.buttons import PICK_COUNT
from bot.handlers.common import registered_user, send, service, texts_of, user_id
from bot.handlers.parsing import parse_rate_arguments
from bot.replies import Reply
from bot.service import InvalidRequest
from bot.status import status_text

__all__ = ["MATCH_BUTTONS", "help_command", "rate", "recommend", "start", "status"]

# Movies offered as buttons when typed title words match several.
MATCH_BUTTONS = 8


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Register the user and say which user number they have."""
    registered = await registered_user(update, context)
    if registered is not None:
        movie_ids = list(service(context).titles)
        await send(update, replies.welcome(texts_of(update), *registered, movie_ids))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands with examples and what the bot stores."""
    if await user_id(update, context) is None:
        return
    recommender = service(context)
    reply = replies.help_text(
        texts_of(update),
        recommender.scale,
        list(recommender.titles),
        recommender.title_example(),
    )
    await send(update, reply)


async def rate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store a typed rating, acknowledged before any training; without arguments, offer buttons."""
    user = await user_id(update, context)
    if user is None:
        return
    texts = texts_of(update)
    recommender = service(context)
    if not context.args:
        picks = await recommender.movies_to_rate(user, PICK_COUNT)
        await send(update, replies.rate_picker(texts, picks))
        return
    try:
        target, rating = parse_rate_arguments(context.args)
        recommender.check_rating(rating)
        if isinstance(target, list):
            matches = recommender.find_movies(target)
            if len(matches) != 1:
                await send(update, _choices(update, context, target, matches, rating))
                return
            target = matches[0]
        written = await recommender.rate(user, target, rating)
    except InvalidRequest as error:
        await send(update, replies.invalid_request(texts, error, "rate_usage"))
        return
    title = recommender.titles.get(written.movie_id)
    await send(update, replies.rate_saved(texts, written, title))


def _choices(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    words: list[str],
    matches: list[int],
    rating: float,
) -> replies.Reply:
    """Offer the movies that match typed title words; raise if none matches."""
    quoted = replies.preview(" ".join(words))
    if not matches:
        raise InvalidRequest("title_not_found", words=quoted)
    titles = service(context).titles
    movies = [(movie, titles[movie]) for movie in matches[:MATCH_BUTTONS]]
    return replies.title_choices(texts_of(update), quoted, movies, rating)


async def recommend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Rank the user's movies, waiting briefly for a training that includes their rating."""
    user = await user_id(update, context)
    if user is None:
        return
    texts = texts_of(update)
    arguments = [argument.casefold() for argument in context.args or []]
    if arguments == ["group"]:
        await _recommend_group(update, context)
        return
    recommender = service(context)
    genre = arguments[0] if len(arguments) == 1 and arguments[0] in recommender.genres else None
    if genre is None and (len(arguments) > 1 or (arguments and arguments[0] != "all")):
        error = replies.recommend_error(
            texts, " ".join(context.args), has_genres=bool(recommender.genres)
        )
        await send(update, error)
        return

    if await recommender.training_pending(user):
        await update.effective_chat.send_action(
            ChatAction.TYPING, message_thread_id=update.effective_message.message_thread_id
        )
        await recommender.wait_for_model(user)
    include_rated = arguments == ["all"]
    result = await recommender.recommend(user, include_rated=include_rated, genre=genre)
    await send(update, replies.recommendations(texts, result, include_rated=include_rated))


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the served model, how many ratings it learned and the state of training."""
    if await user_id(update, context) is None:
        return
    recommender = service(context)
    stored = await asyncio.to_thread(recommender.store.rating_count)
    await send(update, Reply(status_text(recommender.trainer.status(), stored)))


async def _recommend_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    texts = texts_of(update)
    chat = update.effective_chat
    if chat.type not in (chat.GROUP, chat.SUPERGROUP):
        await send(update, Reply(texts("recommend_group_private")))
        return
    result = await service(context).recommend_group(chat.id)
    await send(update, replies.group_recommendations(texts, result))
