"""The service the handlers call: register, rate and recommend, with no Telegram types.

While the bot runs, store calls go through worker threads (``asyncio.to_thread``), so a
commit does not block the event loop. The catalogue is read once, when the service is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass, field

from bot.export import ratings_csv
from bot.picks import blend_group_scores, closest_movie
from bot.storage import RatingRecord, RatingWrite, Store
from bot.trainer import ModelVersion, Trainer
from recommender import foldin
from recommender.data import RatingScale
from recommender.ranking import RATING_ONLY, Ranker, RankingConfig

__all__ = [
    "EXPLAINED_PICKS",
    "GroupRecommendations",
    "InvalidRequest",
    "RankedMovie",
    "Recommendations",
    "RecommenderService",
]

# Top picks of a /recommend reply that name the user's movie they resemble most.
EXPLAINED_PICKS = 3
# A pick predicted below the scale's middle is no match for anything the user liked. The
# predicted rating decides, not the ranking score, which also counts the movie's popularity.
EXPLAINED_MIN_SCORE = 0.5
# A rating counts as high from this point of the scale (4 stars on a 1-5 scale).
HIGH_RATING_TARGET = 0.75

# A fold-in's CPU time grows with the ratings in it: about 17 ms for one user, 60 ms for
# 300 users with 3 ratings each, 335 ms for 100 MovieLens users with 15,448 ratings.
# Larger batches are folded in parts, so that the first users need not wait for the last.
FOLD_IN_RATINGS_PER_PART = 4096

logger = logging.getLogger(__name__)


def _parts(ratings: dict[int, dict[int, float]], limit: int) -> list[dict[int, dict[int, float]]]:
    """Split users' ratings into parts of at most ``limit`` ratings (one user at least)."""
    parts: list[dict[int, dict[int, float]]] = [{}]
    size = 0
    for user_id, user_ratings in ratings.items():
        if parts[-1] and size + len(user_ratings) > limit:
            parts.append({})
            size = 0
        parts[-1][user_id] = user_ratings
        size += len(user_ratings)
    return [part for part in parts if part]


class InvalidRequest(ValueError):
    """A user's request that cannot be carried out.

    ``key`` names the text in ``bot.texts`` that explains why, and ``values`` fill it in.
    """

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class RankedMovie:
    """One line of a recommendation list."""

    movie_id: int
    title: str
    score: float
    personal: bool
    rating: float | None
    rated_by_anyone: bool
    predicted: float | None = None


@dataclass(frozen=True)
class GroupRecommendations:
    """Picks for the members of a group chat who have rated, by their first names."""

    member_names: list[str]
    movies: list[RankedMovie]


@dataclass(frozen=True)
class Recommendations:
    """A user's ranked movies and the facts a reply needs to explain them.

    ``personal`` is true when the model knows the user. ``fresh`` is false when the model
    serving the scores has not yet learned the user's latest rating. ``total`` counts the
    candidate movies before the limit was applied.
    """

    user_id: int
    movies: list[RankedMovie]
    rated_count: int
    unrated_count: int
    personal: bool
    fresh: bool
    total: int
    # Where this page starts in the whole ranking, and whether more movies follow it.
    offset: int = 0
    has_more: bool = False
    # Ratings still needed before the picks are personal.
    needed_ratings: int = 0
    # The genre the ranking is limited to, as the catalogue spells it.
    genre: str | None = None
    # Top pick -> the title of the user's highly rated movie closest to it in the model's
    # movie embeddings.
    because: dict[int, str] = field(default_factory=dict)


class RecommenderService:
    """Rate and recommend on top of a ``Store`` and a background ``Trainer``."""

    def __init__(
        self,
        store: Store,
        trainer: Trainer,
        *,
        recommend_limit: int,
        wait_seconds: float,
        personal_min_ratings: int = 1,
        ranking: RankingConfig = RATING_ONLY,
    ) -> None:
        self.store = store
        self.trainer = trainer
        self.ranking = ranking
        # User ID to revision: ``_folded_ranker`` has folded in the user's ratings up to it.
        # Only the latest ranker's entries are kept, so old models can be freed.
        self._folded: dict[int, int] = {}
        self._folded_ranker: Ranker | None = None
        # Users whose ratings changed, with the revision to fold in. One task folds them in
        # batches, so a burst of ratings costs a few fold-ins instead of one per rating.
        self._fold_queue: dict[int, int] = {}
        self._fold_batch: dict[int, int] = {}
        self._fold_task: asyncio.Task[None] | None = None
        self._fold_done = asyncio.Condition()
        trainer.on_new_model = self._refold_after_swap
        self.recommend_limit = recommend_limit
        self.wait_seconds = wait_seconds
        self.personal_min_ratings = personal_min_ratings
        self.titles = store.movie_titles()
        self._folded_titles = {movie: title.casefold() for movie, title in self.titles.items()}
        self.details = store.movie_details()
        self.genres = {
            genre.casefold(): genre
            for details in self.details.values()
            for genre in details.genres
        }

    @property
    def scale(self) -> RatingScale:
        return self.store.scale

    async def start(self) -> None:
        """Serve the saved model, and train in the background if the ratings changed."""
        await asyncio.to_thread(foldin.warm_up)
        await self.trainer.start()

    async def close(self, timeout: float) -> None:
        self._fold_queue.clear()
        if self._fold_task is not None:
            # The running fold-in reads the store, so it finishes before the store closes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._fold_task), timeout)
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
        self.check_movie(movie_id)
        self.check_rating(rating)
        written = await asyncio.to_thread(self.store.set_rating, user_id, movie_id, rating)
        logger.debug("user %d rated movie %d (revision %d)", user_id, movie_id, written.revision)
        self.trainer.request()
        self.request_fold_in(user_id, written.revision)
        return written

    def title_example(self) -> str:
        """Return a word from a catalogue title, for the help text's example."""
        for title in self.titles.values():
            words = [word for word in title.split() if word.isalpha() and 3 < len(word) <= 12]
            if words:
                return words[0].lower()
        return "matrix"

    def find_movies(self, words: list[str]) -> list[int]:
        """List the movies whose title contains every word, case-insensitively, best first.

        A word matches inside a title word too ("matr" finds "Matrix"). Shorter titles come
        first, because they match the words more closely.
        """
        folded = [word.casefold() for word in words if word.strip()]
        if not folded:
            return []
        matches = [
            movie
            for movie, title in self._folded_titles.items()
            if all(word in title for word in folded)
        ]
        matches.sort(key=lambda movie: (len(self.titles[movie]), movie))
        return matches

    def check_movie(self, movie_id: int) -> None:
        """Raise ``InvalidRequest`` unless the movie is in the catalogue."""
        if movie_id not in self.titles:
            raise InvalidRequest("movie_not_found", movie_id=movie_id)

    def check_rating(self, rating: float) -> None:
        """Raise ``InvalidRequest`` unless ``rating`` is on the store's scale."""
        scale = self.scale
        bounds = {"low": f"{scale.minimum:g}", "high": f"{scale.maximum:g}"}
        if math.isinf(rating):
            raise InvalidRequest("rating_far_outside_scale", **bounds)
        if not scale.minimum <= rating <= scale.maximum:
            raise InvalidRequest("rating_outside_scale", rating=f"{rating:g}", **bounds)
        try:
            scale.check(rating)
        except ValueError:
            raise InvalidRequest(
                "rating_off_step", rating=f"{rating:g}", step=f"{scale.step:g}"
            ) from None

    async def lookup(self, telegram_id: int) -> int | None:
        """Return the user ID of a registered Telegram user, without registering them."""
        return await asyncio.to_thread(self.store.user_for_telegram, telegram_id)

    async def unrate(self, user_id: int, movie_id: int) -> bool:
        """Delete one rating; return false if there was none. Requests a retraining."""
        deleted = await asyncio.to_thread(self.store.delete_rating, user_id, movie_id)
        if deleted:
            logger.debug("user %d removed the rating of movie %d", user_id, movie_id)
            self.trainer.request()
            await self._refold(user_id)
        return deleted

    async def mark_unseen(self, user_id: int, movie_id: int) -> None:
        """Keep a movie out of the user's picks; a rating of it is deleted."""
        self.check_movie(movie_id)
        if await asyncio.to_thread(self.store.mark_unseen, user_id, movie_id):
            self.trainer.request()
            await self._refold(user_id)

    async def movies_to_rate(self, user_id: int, limit: int) -> list[tuple[int, str]]:
        """List (movie ID, title) of popular movies the user has not rated or skipped."""
        movie_ids = await asyncio.to_thread(self.store.popular_unrated, user_id, limit)
        return [(movie_id, self.titles[movie_id]) for movie_id in movie_ids]

    async def records(self, user_id: int) -> list[RatingRecord]:
        """List the user's ratings and not-seen marks, newest first."""
        return await asyncio.to_thread(self.store.user_records, user_id)

    async def export_csv(self, user_id: int) -> tuple[bytes, int]:
        """Return the user's records as CSV and how many there are."""
        records = await self.records(user_id)
        return ratings_csv(records, self.titles), len(records)

    async def forget(self, telegram_id: int) -> bool:
        """Delete the user and everything stored about them; the next training drops them."""
        forgotten = await asyncio.to_thread(self.store.forget_user, telegram_id)
        if forgotten:
            logger.info("forgot a user on request")
            self.trainer.request()
        return forgotten

    def request_fold_in(self, user_id: int, revision: int) -> None:
        """Queue a fold-in of the user's ratings up to ``revision`` into the served model."""
        if self.trainer.current is None:
            return
        self._fold_queue[user_id] = max(revision, self._fold_queue.get(user_id, 0))
        if self._fold_task is None or self._fold_task.done():
            loop = asyncio.get_running_loop()
            self._fold_task = loop.create_task(self._fold_in_queued(), name="fold-in")

    async def fold_in(self, user_id: int, revision: int) -> None:
        """Fold in the user's ratings up to ``revision`` and wait until that is done."""
        self.request_fold_in(user_id, revision)
        await self._wait_fold_in(user_id, math.inf)

    async def _refold(self, user_id: int) -> None:
        """Queue a fold-in after a rating was deleted, so the served model drops it too."""
        self.request_fold_in(user_id, await asyncio.to_thread(self.store.user_revision, user_id))

    def _refold_after_swap(self, version: ModelVersion) -> None:
        """Queue again the users a new model lacks: it learned up to its own revision only."""
        for user_id, revision in self._folded.items():
            if revision > version.revision:
                self.request_fold_in(user_id, revision)
        self._folded = {}
        self._folded_ranker = version.ranker

    async def _fold_in_queued(self) -> None:
        """Fold in the queued users, one batch at a time, until the queue is empty."""
        while self._fold_queue:
            self._fold_batch, self._fold_queue = self._fold_queue, {}
            batch = self._fold_batch
            version = self.trainer.current
            started = time.perf_counter()
            folded: set[int] = set()
            try:
                ratings = await asyncio.to_thread(self.store.users_ratings, list(batch))
                for part in _parts(ratings, FOLD_IN_RATINGS_PER_PART):
                    done = await asyncio.to_thread(version.ranker.fold_in_many, part)
                    self._record_fold_in(version, {user: batch[user] for user in done})
                    folded |= done
            except Exception:
                # The ratings are committed and the retrain will learn them: log, carry on.
                logger.exception("fold-in failed for %d users", len(batch))
            current = self.trainer.current
            if current is not version:
                # A new model arrived meanwhile: fold in again the users it lacks.
                for user_id, revision in batch.items():
                    if revision > current.revision:
                        self.request_fold_in(user_id, revision)
            self._fold_batch = {}
            logger.debug(
                "folded in %d of %d users in %.1f ms",
                len(folded),
                len(batch),
                1000 * (time.perf_counter() - started),
            )
            async with self._fold_done:
                self._fold_done.notify_all()

    def _record_fold_in(self, version: ModelVersion, revisions: dict[int, int]) -> None:
        """Note the users whose ratings up to a revision ``version``'s ranker folded in."""
        if self.trainer.current is not version:
            return
        if self._folded_ranker is not version.ranker:
            self._folded = {}
            self._folded_ranker = version.ranker
        self._folded.update(revisions)

    def _fold_in_waiting(self, user_id: int) -> bool:
        return user_id in self._fold_queue or user_id in self._fold_batch

    async def _wait_fold_in(self, user_id: int, timeout: float) -> None:
        """Wait until no fold-in of the user is queued or running, at most ``timeout`` s."""
        try:
            async with self._fold_done:
                await asyncio.wait_for(
                    self._fold_done.wait_for(lambda: not self._fold_in_waiting(user_id)),
                    None if math.isinf(timeout) else timeout,
                )
        except TimeoutError:
            pass

    def _reflects(self, user_id: int, revision: int) -> bool:
        """Return true if the served ranker has the user's ratings up to ``revision``.

        A model trained on that revision has them: a retrain folds in every user who
        rated since the model before it. Otherwise a fold-in into this ranker must have.
        """
        current = self.trainer.current
        if current is None:
            return False
        if current.revision >= revision:
            return True
        return current.ranker is self._folded_ranker and self._folded.get(user_id, 0) >= revision

    async def training_pending(self, user_id: int) -> bool:
        """Return true if the served model lacks the user's latest change and will get it."""
        if self._fold_in_waiting(user_id):
            # Also after a deletion, which leaves no newer revision to compare with.
            return True
        revision = await asyncio.to_thread(self.store.user_revision, user_id)
        return not self._reflects(user_id, revision) and self.trainer.is_pending(revision)

    async def wait_for_model(self, user_id: int) -> bool:
        """Wait up to ``wait_seconds`` for a model that has the user's latest rating.

        A queued fold-in usually brings it within milliseconds. Without one the wait is for
        a training: when there is no model yet, or the model has no row for any of the
        user's movies.
        """
        revision = await asyncio.to_thread(self.store.user_revision, user_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        if self._fold_in_waiting(user_id):
            await self._wait_fold_in(user_id, self.wait_seconds)
        if self._reflects(user_id, revision):
            return True
        # Only the first model is worth training at once: later, fold-ins serve the new
        # ratings, and ending the debounce for each waiting user would retrain per request.
        remaining = max(0.0, deadline - loop.time())
        return await self.trainer.wait_for(revision, remaining, flush=self.trainer.current is None)

    def _ranker(self) -> Ranker:
        current = self.trainer.current
        if current is not None:
            return current.ranker
        ratings = self.store.snapshot().ratings
        return Ranker.for_ratings(None, ratings, self.scale, self.ranking)

    async def recommend(
        self, user_id: int, *, include_rated: bool, offset: int = 0, genre: str | None = None
    ) -> Recommendations:
        """Rank the user's unrated movies, or every movie with ``include_rated``.

        With ``genre`` (a key of ``genres``), only movies of that genre are ranked.

        The result holds ``recommend_limit`` movies from position ``offset`` of the ranking.
        """
        rated = await asyncio.to_thread(self.store.user_ratings, user_id)
        unseen = await asyncio.to_thread(self.store.unseen_movies, user_id)
        revision = await asyncio.to_thread(self.store.user_revision, user_id)
        if not self._fresh(user_id, revision) and self._fold_in_waiting(user_id):
            # A model swap since the caller's wait queued this user's fold-in again.
            await self._wait_fold_in(user_id, self.wait_seconds)
        # Taken together, with no await between, so that both describe the same model.
        fresh = self._fresh(user_id, revision)
        served = self.trainer.current
        ranker = served.ranker if served is not None else await asyncio.to_thread(self._ranker)
        needed_ratings = max(0, self.personal_min_ratings - len(rated))
        if needed_ratings:
            ranker = ranker.without_model()
        candidates = [
            movie
            for movie in self.titles
            if movie not in unseen
            and (include_rated or movie not in rated)
            and (genre is None or self._has_genre(movie, genre))
        ]
        end = offset + self.recommend_limit
        ranked = ranker.rank(user_id, candidates, limit=end)[offset:]
        movies = [
            RankedMovie(
                movie_id=item.movie_id,
                title=self.titles[item.movie_id],
                score=item.score,
                personal=item.personal,
                rating=rated.get(item.movie_id),
                rated_by_anyone=item.movie_id in ranker.fallback_scores,
                predicted=item.predicted,
            )
            for item in ranked
        ]
        return Recommendations(
            user_id=user_id,
            movies=movies,
            rated_count=len(rated),
            unrated_count=len(self.titles) - len(rated) - len(unseen),
            personal=ranker.knows_user(user_id),
            fresh=fresh,
            total=len(candidates),
            offset=offset,
            has_more=len(candidates) > end,
            needed_ratings=needed_ratings,
            genre=self.genres.get(genre) if genre is not None else None,
            because=self._explain(ranker, movies, rated) if offset == 0 else {},
        )

    def _fresh(self, user_id: int, revision: int) -> bool:
        """Return true if the served model has the user's changes up to ``revision``."""
        return self.trainer.trained_revision >= revision or self._reflects(user_id, revision)

    def _has_genre(self, movie_id: int, genre: str) -> bool:
        details = self.details.get(movie_id)
        return details is not None and genre in (name.casefold() for name in details.genres)

    def _explain(
        self, ranker: Ranker, movies: list[RankedMovie], rated: dict[int, float]
    ) -> dict[int, str]:
        liked = [
            movie
            for movie, rating in rated.items()
            if self.scale.to_target(rating) >= HIGH_RATING_TARGET
        ]
        because = {}
        for movie in movies[:EXPLAINED_PICKS]:
            if (
                movie.personal
                and movie.rating is None
                and movie.predicted is not None
                and self.scale.to_target(movie.predicted) >= EXPLAINED_MIN_SCORE
            ):
                closest = closest_movie(ranker, movie.movie_id, liked)
                if closest is not None:
                    because[movie.movie_id] = self.titles[closest]
        return because

    async def remember_member(self, chat_id: int, user_id: int, first_name: str) -> None:
        """Record a group member, so that group picks can include them."""
        await asyncio.to_thread(self.store.remember_member, chat_id, user_id, first_name)

    async def recommend_group(self, chat_id: int) -> GroupRecommendations:
        """Rank movies no member has rated or skipped for the group's members who rated."""
        members = await asyncio.to_thread(self.store.rating_members, chat_id)
        excluded: set[int] = set()
        for user_id, _ in members:
            excluded |= set(await asyncio.to_thread(self.store.user_ratings, user_id))
            excluded |= await asyncio.to_thread(self.store.unseen_movies, user_id)
        candidates = [movie for movie in self.titles if movie not in excluded]
        ranker = await asyncio.to_thread(self._ranker)
        member_scores = [
            {item.movie_id: item for item in ranker.score(user_id, candidates)}
            for user_id, _ in members
        ]
        blended = blend_group_scores(
            [{movie: item.score for movie, item in scores.items()} for scores in member_scores],
            self.recommend_limit,
        )
        movies = [
            RankedMovie(
                movie_id=movie_id,
                title=self.titles[movie_id],
                score=score,
                personal=all(scores[movie_id].personal for scores in member_scores),
                rating=None,
                rated_by_anyone=movie_id in ranker.fallback_scores,
            )
            for movie_id, score in blended
        ]
        return GroupRecommendations([name for _, name in members], movies)
