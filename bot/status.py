"""The /status text: the served model, its training and the last training error.

NOTE: this text is English only; the other replies follow the user's language.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.trainer import TrainerStatus

__all__ = ["status_text"]


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


def status_text(state: TrainerStatus, stored_ratings: int, now: float | None = None) -> str:
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
            _learned_line(current.rating_count, stored_ratings),
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


def _learned_line(learned: int, stored: int) -> str:
    if learned > stored:
        # Ratings were deleted or replaced by an import since the model was trained.
        return f"Ratings learned: {learned}; {stored} stored now."
    return f"Ratings learned: {learned} of {stored} stored."
