"""SQLite storage: users, the movie catalogue and ratings. It is the source of truth.

Every write runs in its own ``BEGIN IMMEDIATE`` transaction and returns only after the
commit. Each rating write bumps a store-wide ``revision`` in the same transaction, so a
trained model records exactly which ratings it has seen. The connection is shared between
the event loop's worker threads and guarded by a lock. ``snapshot()`` reads on a
connection of its own.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pandas as pd

from bot.catalogue import MovieDetails, parse_genres
from bot.user_data_store import RatingRecord, UserDataQueries
from recommender.data import DEMO_MOVIE_TITLES, DEMO_SCALE, RatingScale, demo_ratings

__all__ = ["RatingRecord", "RatingWrite", "RatingsSnapshot", "StorageError", "Store"]

# Each entry upgrades the schema from version N-1 to N. A new release appends entries and
# never edits old ones, so an older database opens in a newer release.
MIGRATIONS = [
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE users (
        user_id INTEGER PRIMARY KEY AUTOINCREMENT,
        telegram_id INTEGER UNIQUE,
        source TEXT NOT NULL CHECK (source IN ('demo', 'chat', 'import')),
        created_at REAL NOT NULL
    );
    CREATE TABLE movies (
        movie_id INTEGER PRIMARY KEY,
        title TEXT NOT NULL
    );
    CREATE TABLE ratings (
        user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        movie_id INTEGER NOT NULL REFERENCES movies (movie_id) ON DELETE CASCADE,
        rating REAL NOT NULL,
        rated_at REAL NOT NULL,
        revision INTEGER NOT NULL,
        PRIMARY KEY (user_id, movie_id)
    ) WITHOUT ROWID;
    CREATE INDEX ratings_by_movie ON ratings (movie_id);
    """,
    """
    CREATE TABLE unseen (
        user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        movie_id INTEGER NOT NULL REFERENCES movies (movie_id) ON DELETE CASCADE,
        marked_at REAL NOT NULL,
        PRIMARY KEY (user_id, movie_id)
    ) WITHOUT ROWID;
    """,
    # MovieLens import: genres ("Comedy|Drama") and IMDb/TMDB IDs of movies, and the
    # MovieLens user ID of imported users.
    """
    ALTER TABLE movies ADD COLUMN genres TEXT NOT NULL DEFAULT '';
    ALTER TABLE movies ADD COLUMN imdb_id TEXT;
    ALTER TABLE movies ADD COLUMN tmdb_id INTEGER;
    ALTER TABLE users ADD COLUMN external_id INTEGER;
    CREATE UNIQUE INDEX users_by_external_id ON users (source, external_id)
        WHERE external_id IS NOT NULL;
    """,
    # Group members, so that /recommend group knows who is in a chat and their first names.
    """
    CREATE TABLE chat_members (
        chat_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        first_name TEXT NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (chat_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX chat_members_by_user ON chat_members (user_id);
    """,
    # The revision of a user's latest deletion of a rating (/unrate, a not-seen mark), which
    # leaves no row behind to carry it.
    """
    ALTER TABLE users ADD COLUMN deleted_revision INTEGER NOT NULL DEFAULT 0;
    """,
]
# The revision of each user's latest change: a rating written or deleted.
USER_REVISION = (
    "MAX(users.deleted_revision, "
    "COALESCE((SELECT MAX(revision) FROM ratings WHERE ratings.user_id = users.user_id), 0))"
)
SCHEMA_VERSION = len(MIGRATIONS)


class StorageError(RuntimeError):
    """The database file cannot be opened, created or read."""


@dataclass(frozen=True)
class RatingWrite:
    """A committed rating, with the value it replaced (``None`` for a first rating)."""

    user_id: int
    movie_id: int
    rating: float
    previous: float | None
    revision: int


@dataclass(frozen=True)
class RatingsSnapshot:
    """All ratings as of one store ``revision``, read in a single transaction.

    ``user_revisions`` maps each user who rated or deleted a rating to the revision of
    their latest change.
    """

    ratings: pd.DataFrame
    revision: int
    movie_ids: tuple[int, ...]
    scale: RatingScale
    user_revisions: dict[int, int] = field(default_factory=dict)

    def users_changed_since(self, revision: int) -> list[int]:
        """List the users who rated, re-rated or deleted a rating after ``revision``."""
        return sorted(user for user, latest in self.user_revisions.items() if latest > revision)


class Store(UserDataQueries):
    """SQLite database of users, movies and ratings in one file."""

    def __init__(
        self, path: Path, *, default_scale: RatingScale, load_demo_data: bool = True
    ) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._owner = self._claim(path)
            self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = FULL")
            self._connection.execute("PRAGMA busy_timeout = 5000")
            self._connection.execute("PRAGMA foreign_keys = ON")
            created = self._migrate()
            if created:
                self._initialise(default_scale, load_demo_data)
            self.scale = self._read_scale()
        except BaseException as error:
            self._close_partly_opened()
            if isinstance(error, OSError | sqlite3.Error):
                raise StorageError(
                    f"cannot open the database {path}: {error}. Set DATA_DIR to a writable folder."
                ) from error
            raise

    def _close_partly_opened(self) -> None:
        if hasattr(self, "_connection"):
            self._connection.close()
        if hasattr(self, "_owner"):
            self._owner.close()

    @staticmethod
    def _claim(path: Path) -> TextIO:
        """Lock ``<database>.lock`` so that one process at a time opens the database.

        A second bot on the same DATA_DIR, or an import while a bot runs, would change
        the catalogue under a running service. The kernel releases the lock when the
        process ends, a SIGKILL included.
        """
        owner = open(path.with_name(path.name + ".lock"), "w")  # noqa: SIM115
        try:
            fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner.close()
            raise StorageError(
                f"the database {path} is in use by another process (a running bot or an "
                "import): stop it first"
            ) from None
        return owner

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """Open a ``BEGIN IMMEDIATE`` transaction for a bulk write such as an import."""
        return self._transaction()

    def _migrate(self) -> bool:
        """Apply pending migrations; return true if the database was new."""
        version = self._connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"database {self.path} has schema version {version}, newer than this "
                f"release's {SCHEMA_VERSION}: upgrade the bot or use another DATA_DIR"
            )
        for number in range(version, SCHEMA_VERSION):
            with self._transaction() as connection:
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number + 1}")
        return version == 0

    def _initialise(self, scale: RatingScale, load_demo_data: bool) -> None:
        now = time.time()
        with self._transaction() as connection:
            self.write_meta(connection, {**self.scale_meta(scale), "revision": "0"})
            connection.executemany(
                "INSERT INTO movies (movie_id, title) VALUES (?, ?)", DEMO_MOVIE_TITLES.items()
            )
            if not load_demo_data:
                return
            ratings = demo_ratings()
            for user_id in sorted(ratings["user_id"].unique()):
                connection.execute(
                    "INSERT INTO users (user_id, source, created_at) VALUES (?, 'demo', ?)",
                    (int(user_id), now),
                )
            connection.executemany(
                "INSERT INTO ratings (user_id, movie_id, rating, rated_at, revision) "
                "VALUES (?, ?, ?, ?, 1)",
                [
                    (
                        int(row.user_id),
                        int(row.movie_id),
                        scale.rescale(float(row.rating), DEMO_SCALE),
                        now,
                    )
                    for row in ratings.itertuples()
                ],
            )
            connection.execute("UPDATE meta SET value = '1' WHERE key = 'revision'")

    @staticmethod
    def scale_meta(scale: RatingScale) -> dict[str, str]:
        """Return the ``meta`` rows that record a store's rating scale."""
        return {
            "rating_min": repr(scale.minimum),
            "rating_max": repr(scale.maximum),
            "rating_step": repr(scale.step),
        }

    @staticmethod
    def write_meta(connection: sqlite3.Connection, values: Mapping[str, str]) -> None:
        """Insert or replace ``meta`` rows inside the caller's transaction."""
        connection.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            values.items(),
        )

    def reload_scale(self) -> None:
        """Read the rating scale again after a transaction changed it."""
        self.scale = self._read_scale()

    def _read_scale(self) -> RatingScale:
        with self._lock:
            rows = dict(self._connection.execute("SELECT key, value FROM meta").fetchall())
        return RatingScale(
            float(rows["rating_min"]), float(rows["rating_max"]), float(rows["rating_step"])
        )

    def close(self) -> None:
        with self._lock:
            self._connection.close()
            self._owner.close()

    def user_for_telegram(self, telegram_id: int) -> int | None:
        """Return the user ID mapped to a Telegram user, or ``None`` if unregistered."""
        with self._lock:
            row = self._connection.execute(
                "SELECT user_id FROM users WHERE telegram_id = ?", (telegram_id,)
            ).fetchone()
        return None if row is None else int(row[0])

    def register(self, telegram_id: int) -> tuple[int, bool]:
        """Map a Telegram user to a user ID, creating one if needed; return (ID, created)."""
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT user_id FROM users WHERE telegram_id = ?", (telegram_id,)
            ).fetchone()
            if row is not None:
                return int(row[0]), False
            cursor = connection.execute(
                "INSERT INTO users (telegram_id, source, created_at) VALUES (?, 'chat', ?)",
                (telegram_id, time.time()),
            )
            return int(cursor.lastrowid), True

    def movie_titles(self) -> dict[int, str]:
        """Map every catalogue movie ID to its title, in ID order."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT movie_id, title FROM movies ORDER BY movie_id"
            ).fetchall()
        return {int(movie_id): title for movie_id, title in rows}

    def movie_details(self) -> dict[int, MovieDetails]:
        """Map each movie that has genres or links to them."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT movie_id, genres, imdb_id, tmdb_id FROM movies "
                "WHERE genres != '' OR imdb_id IS NOT NULL OR tmdb_id IS NOT NULL"
            ).fetchall()
        return {
            int(movie_id): MovieDetails(parse_genres(genres), imdb_id, tmdb_id)
            for movie_id, genres, imdb_id, tmdb_id in rows
        }

    def has_movie(self, movie_id: int) -> bool:
        with self._lock:
            row = self._connection.execute(
                "SELECT 1 FROM movies WHERE movie_id = ?", (movie_id,)
            ).fetchone()
        return row is not None

    def set_rating(self, user_id: int, movie_id: int, rating: float) -> RatingWrite:
        """Insert or replace one rating, snapped to the scale, and commit it.

        Raises ``ValueError`` if the rating is off the scale.
        """
        self.scale.check(rating)
        rating = self.scale.snap(rating)
        with self._transaction() as connection:
            previous = connection.execute(
                "SELECT rating FROM ratings WHERE user_id = ? AND movie_id = ?",
                (user_id, movie_id),
            ).fetchone()
            revision = self._bump_revision(connection)
            connection.execute(
                "DELETE FROM unseen WHERE user_id = ? AND movie_id = ?", (user_id, movie_id)
            )
            connection.execute(
                "INSERT INTO ratings (user_id, movie_id, rating, rated_at, revision) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (user_id, movie_id) DO UPDATE SET "
                "rating = excluded.rating, rated_at = excluded.rated_at, "
                "revision = excluded.revision",
                (user_id, movie_id, rating, time.time(), revision),
            )
        return RatingWrite(
            user_id, movie_id, rating, None if previous is None else previous[0], revision
        )

    @staticmethod
    def bump_revision(connection: sqlite3.Connection) -> int:
        """Increment the store revision inside the caller's transaction and return it."""
        return Store._bump_revision(connection)

    @staticmethod
    def _bump_revision(connection: sqlite3.Connection) -> int:
        row = connection.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
            "WHERE key = 'revision' RETURNING value"
        ).fetchone()
        return int(row[0])

    def revision(self) -> int:
        """Return the revision of the latest rating change."""
        with self._lock:
            row = self._connection.execute(
                "SELECT value FROM meta WHERE key = 'revision'"
            ).fetchone()
        return int(row[0])

    def rating_count(self) -> int:
        """Return the number of stored ratings."""
        with self._lock:
            row = self._connection.execute("SELECT COUNT(*) FROM ratings").fetchone()
        return int(row[0])

    def user_ratings(self, user_id: int) -> dict[int, float]:
        """Map each movie the user rated to the rating."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT movie_id, rating FROM ratings WHERE user_id = ? ORDER BY movie_id",
                (user_id,),
            ).fetchall()
        return {int(movie_id): float(rating) for movie_id, rating in rows}

    def users_ratings(self, user_ids: list[int]) -> dict[int, dict[int, float]]:
        """Map each of ``user_ids`` who rated something to their ratings, as ``user_ratings``."""
        found: dict[int, dict[int, float]] = {}
        # SQLite limits the number of parameters in one statement.
        for start in range(0, len(user_ids), 500):
            chunk = user_ids[start : start + 500]
            with self._lock:
                rows = self._connection.execute(
                    "SELECT user_id, movie_id, rating FROM ratings "
                    f"WHERE user_id IN ({', '.join('?' * len(chunk))}) ORDER BY user_id, movie_id",
                    chunk,
                ).fetchall()
            for user_id, movie_id, rating in rows:
                found.setdefault(int(user_id), {})[int(movie_id)] = float(rating)
        return found

    def user_revision(self, user_id: int) -> int:
        """Return the revision of the user's latest rating or deletion, 0 if there is none."""
        with self._lock:
            row = self._connection.execute(
                f"SELECT {USER_REVISION} FROM users WHERE user_id = ?", (user_id,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def snapshot(self) -> RatingsSnapshot:
        """Read every rating, the catalogue and the revision in one read transaction.

        The read uses a connection of its own: on 100,000 ratings it takes about 100 ms, and
        holding the shared connection's lock that long would delay every command's reads.
        WAL mode lets it read while the shared connection writes.
        """
        reader = sqlite3.connect(self.path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            ratings = pd.read_sql_query("SELECT user_id, movie_id, rating FROM ratings", reader)
            movie_rows = reader.execute("SELECT movie_id FROM movies ORDER BY movie_id").fetchall()
            user_revisions = reader.execute(
                f"SELECT user_id, {USER_REVISION} FROM users WHERE {USER_REVISION} > 0"
            ).fetchall()
            revision = int(
                reader.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0]
            )
            reader.execute("COMMIT")
        finally:
            reader.close()
        return RatingsSnapshot(
            ratings=ratings,
            revision=revision,
            movie_ids=tuple(int(row[0]) for row in movie_rows),
            scale=self.scale,
            user_revisions={int(user): int(latest) for user, latest in user_revisions},
        )
