"""The service the handlers call: register, rate and recommend, with no Telegram types.

Store calls run in worker threads (``asyncio.to_thread``) so that a commit never blocks
the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass

from bot.storage import RatingWrite, Store
from bot.trainer import Trainer
from recommender.data import RatingScale
from recommender.ranking import Ranker, average_rating_scores

__all__ = ["InvalidRequest", "RankedMovie", "Recommendations", "RecommenderService"]

logger = logging.getLogger(__name__)


class InvalidRequest(ValueError):
    """A user's request that cannot be carried out; the message explains why."""


@dataclass(frozen=True)
class RankedMovie:
    """One line of a recommendation list."""

    movie_id: int
    title: str
    score: float
    personal: bool
    rating: float | None


@dataclass(frozen=True)
class Recommendations:
    """A user's ranked movies and the facts a reply needs to explain them.

    ``fresh`` is false when the model serving the scores has not yet learned the user's
    latest rating.
    """

    user_id: int
    movies: list[RankedMovie]
    rated_count: int
    unrated_count: int
    personal: bool
    fresh: bool


class RecommenderService:
    """Rate and recommend on top of a ``Store`` and a background ``Trainer``."""

    def __init__(
        self,
        store: Store,
        trainer: Trainer,
        *,
        recommend_limit: int,
        wait_seconds: float,
    ) -> None:
        self.store = store
        self.trainer = trainer
        self.recommend_limit = recommend_limit
        self.wait_seconds = wait_seconds
        self.titles = store.movie_titles()

    @property
    def scale(self) -> RatingScale:
        return self.store.scale

    def _scale_bounds(self) -> str:
        return f"{self.scale.minimum:g} to {self.scale.maximum:g}"

    async def start(self) -> None:
        """Serve the saved model, and train in the background if the ratings changed."""
        await self.trainer.start()

    async def close(self, timeout: float) -> None:
        await self.trainer.close(timeout)
        self.store.close()

    async def register(self, telegram_id: int) -> tuple[int, bool]:
        """Return the user ID for a Telegram user, registering them if new."""
        user_id, created = await asyncio.to_thread(self.store.register, telegram_id)
        if created:
            logger.info("registered user %d", user_id)
        return user_id, created

    async def rate(self, user_id: int, movie_id: int, rating: float) -> RatingWrite:
        """Validate and commit a rating, then request a retraining."""
        if movie_id not in self.titles:
            raise InvalidRequest(f"Movie #{movie_id} is not in the catalogue.")
        if math.isinf(rating):
            raise InvalidRequest(f"Rating is outside the scale {self._scale_bounds()}.")
        try:
            self.scale.check(rating)
        except ValueError as error:
            raise InvalidRequest(f"{str(error).capitalize()}.") from None
        written = await asyncio.to_thread(self.store.set_rating, user_id, movie_id, rating)
        logger.debug("user %d rated movie %d (revision %d)", user_id, movie_id, written.revision)
        self.trainer.request()
        return written

    async def training_pending(self, user_id: int) -> bool:
        """Return true if a training that includes the user's latest rating is under way."""
        revision = await asyncio.to_thread(self.store.user_revision, user_id)
        return self.trainer.is_pending(revision)

    async def wait_for_model(self, user_id: int) -> bool:
        """Wait up to ``wait_seconds`` for a model that learned the user's latest rating."""
        revision = await asyncio.to_thread(self.store.user_revision, user_id)
        return await self.trainer.wait_for(revision, self.wait_seconds)

    def _ranker(self) -> Ranker:
        current = self.trainer.current
        if current is not None:
            return current.ranker
        ratings = self.store.snapshot().ratings
        return Ranker(None, average_rating_scores(ratings, self.scale))

    async def recommend(self, user_id: int, *, include_rated: bool) -> Recommendations:
        """Rank the user's unrated movies, or every movie with ``include_rated``."""
        rated = await asyncio.to_thread(self.store.user_ratings, user_id)
        revision = await asyncio.to_thread(self.store.user_revision, user_id)
        ranker = await asyncio.to_thread(self._ranker)
        candidates = [movie for movie in self.titles if include_rated or movie not in rated]
        ranked = ranker.rank(user_id, candidates, limit=self.recommend_limit)
        movies = [
            RankedMovie(
                movie_id=item.movie_id,
                title=self.titles[item.movie_id],
                score=item.score,
                personal=item.personal,
                rating=rated.get(item.movie_id),
            )
            for item in ranked
        ]
        return Recommendations(
            user_id=user_id,
            movies=movies,
            rated_count=len(rated),
            unrated_count=len(self.titles) - len(rated),
            personal=bool(movies) and all(movie.personal for movie in movies),
            fresh=self.trainer.trained_revision >= revision,
        )
