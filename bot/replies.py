"""Reply texts. Every message the bot sends is built here, as plain text."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.service import Recommendations
from bot.storage import RatingWrite
from bot.trainer import TrainerStatus
from recommender.data import RatingScale

RATE_USAGE = "Usage: /rate <movie_id> <rating>"
RECOMMEND_USAGE = "Usage: /recommend [all]"
PREVIEW_LENGTH = 20


def preview(text: str) -> str:
    """Quote user input for an error message: printable characters only, shortened."""
    cleaned = "".join(char if char.isprintable() else "?" for char in text)
    if len(cleaned) > PREVIEW_LENGTH:
        cleaned = cleaned[: PREVIEW_LENGTH - 1] + "…"
    return f"'{cleaned}'"


def rating_text(rating: float) -> str:
    return f"{rating:g}"


def scale_text(scale: RatingScale) -> str:
    return (
        f"from {rating_text(scale.minimum)} to {rating_text(scale.maximum)} "
        f"in steps of {rating_text(scale.step)}"
    )


def welcome(user_id: int, created: bool) -> str:
    greeting = "Welcome!" if created else "Welcome back!"
    return (
        f"{greeting} You are user #{user_id}.\n"
        "Rate a movie with /rate 102 5, then ask for /recommend.\n"
        "/help lists every command."
    )


def help_text(scale: RatingScale, movie_ids: list[int]) -> str:
    example = movie_ids[1] if len(movie_ids) > 1 else (movie_ids[0] if movie_ids else 102)
    return (
        "I recommend movies from your ratings.\n"
        "\n"
        f"/rate <movie_id> <rating> - rate a movie {scale_text(scale)}, "
        f"for example /rate {example} 4.5\n"
        "/recommend - your unrated movies, best first, with a score from 0 to 1\n"
        "/recommend all - every movie, with your ratings marked\n"
        "/start - show your user number\n"
        "/help - this list\n"
        "\n"
        "Rating again replaces your earlier rating. Edited messages are ignored: "
        "send the command again instead."
    )


def rate_error(reason: str) -> str:
    return f"{reason}\n{RATE_USAGE}"


def rate_saved(written: RatingWrite) -> str:
    text = f"Saved: movie #{written.movie_id} rated {rating_text(written.rating)}"
    if written.previous is not None and written.previous != written.rating:
        text += f" (was {rating_text(written.previous)})"
    return text + ". Your recommendations are being updated."


def recommend_error(argument: str) -> str:
    return f"Unknown option {preview(argument)}.\n{RECOMMEND_USAGE}"


def recommendations(result: Recommendations, *, include_rated: bool) -> str:
    if not result.movies:
        return "You have rated every movie. /recommend all shows them ranked."

    if result.rated_count == 0:
        header = (
            "You have not rated any movie yet, so these are ranked by average rating. "
            "Rate one with /rate <movie_id> <rating> for personal picks:"
        )
    elif not result.personal:
        header = "The model has not learned your ratings yet; ranked by average rating:"
    elif include_rated:
        header = "All movies for you, best first:"
    else:
        header = "Your top picks:"
    lines = [header]
    for rank, movie in enumerate(result.movies, start=1):
        line = f"{rank}. Movie #{movie.movie_id}: {movie.score:.3f}"
        if movie.rating is not None:
            line += f" (you rated {rating_text(movie.rating)})"
        lines.append(line)
    if not result.fresh:
        lines.append(
            "Still learning your latest rating: these scores are from the previous model."
        )
    return "\n".join(lines)


def use_personal_account() -> str:
    return "Please send commands from a personal Telegram account."


def unknown_command() -> str:
    return "Unknown command. /help lists the commands."


def not_a_command() -> str:
    return "I only understand commands. /help lists them."


def apology() -> str:
    return "Sorry, something went wrong on my side. Please try again."


def _age(seconds: float) -> str:
    if seconds < 60:
        return f"{max(seconds, 0):.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86_400:.1f} days ago"


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def status(state: TrainerStatus, stored_ratings: int, now: float | None = None) -> str:
    """Describe the served model, its training and the last training error."""
    now = time.time() if now is None else now
    current = state.current
    if current is None:
        lines = [
            "No model yet: the first training is under way, so /recommend ranks movies by "
            f"average rating. Stored ratings: {stored_ratings}."
        ]
    elif current.ranker.trained is None:
        lines = [
            f"No trained model: too little data to train ({current.rating_count} ratings "
            f"learned, {stored_ratings} stored), so /recommend ranks movies by average rating."
        ]
    else:
        lines = [
            f"Model version {current.version}, trained {_utc(current.trained_at)} "
            f"({_age(now - current.trained_at)}).",
            f"Ratings learned: {current.rating_count} of {stored_ratings} stored.",
            f"Last loss: {current.final_loss:.4f} after {current.epochs} epochs "
            f"in {current.seconds:.1f} s.",
        ]
    if state.running:
        lines.append("Training: running now.")
    elif state.pending and state.last_error is not None:
        lines.append("Training: waiting to retry after the error below.")
    elif state.pending:
        lines.append("Training: starting soon, waiting for more ratings.")
    else:
        lines.append("Training: idle.")
    if state.last_error is not None:
        when = _utc(state.last_error_at) if state.last_error_at is not None else "unknown time"
        lines.append(f"Last training error ({when}): {state.last_error}")
    return "\n".join(lines)
