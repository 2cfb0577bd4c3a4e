"""Import a MovieLens data set (``movies.csv``, ``ratings.csv``, optional ``links.csv``).

``python -m bot import-movielens DIR [--replace]`` replaces the catalogue with MovieLens
movies and the demo users with MovieLens users, who are kept apart from chat users
(``source = 'import'``). Every row is checked before anything is written, and the write is
one transaction, so a failed import leaves the store as it was. Importing the same files
again changes nothing.

MovieLens data may be redistributed only under its own license (non-commercial use, no
endorsement), so the project reads it from a folder the user downloaded.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage import Store
from recommender.data import MOVIELENS_SCALE

__all__ = [
    "ImportSummary",
    "MovieLensData",
    "MovieLensImportError",
    "import_movielens",
    "read_movielens",
]

logger = logging.getLogger(__name__)

MOVIE_COLUMNS = ["movieId", "title", "genres"]
# SQLite integers have 64 bits.
MAX_ID = 2**63 - 1
RATING_COLUMNS = ["userId", "movieId", "rating", "timestamp"]
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?", re.ASCII)
LINK_COLUMNS = ["movieId", "imdbId", "tmdbId"]
MAX_LISTED_ERRORS = 20
PROGRESS_MIN_ROWS = 50_000

Progress = Callable[[str], None]


class MovieLensImportError(Exception):
    """The files are invalid or the store cannot take them; the message says what to fix."""


@dataclass
class MovieLensData:
    """Checked rows: movies as (ID, title, genres, IMDb ID, TMDB ID), ratings by user."""

    movies: dict[int, tuple[str, str, str | None, int | None]] = field(default_factory=dict)
    ratings: list[tuple[int, int, float, int]] = field(default_factory=list)
    digest: str = ""


@dataclass(frozen=True)
class ImportSummary:
    """Counts of an import's changes. ``changed`` is false after a repeated import."""

    changed: bool
    movies: int
    users: int
    ratings: int
    dropped_chat_ratings: int = 0


class _Errors:
    """Row errors with their file and line; keeps the first ``MAX_LISTED_ERRORS``."""

    def __init__(self) -> None:
        self.listed: list[str] = []
        self.count = 0

    def add(self, file_name: str, line: int, reason: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(f"{file_name} line {line}: {reason}")

    def raise_if_any(self) -> None:
        if not self.count:
            return
        lines = list(self.listed)
        if self.count > len(lines):
            lines.append(f"... and {self.count - len(lines)} more")
        raise MovieLensImportError(
            f"{self.count} invalid rows, nothing imported:\n" + "\n".join(lines)
        )


def _rows(
    path: Path, columns: list[str], progress: Progress | None
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) of a CSV file after checking its header."""
    # utf-8-sig accepts the byte order mark that spreadsheet programs write.
    with path.open(newline="", encoding="utf-8-sig") as file:
        try:
            total = sum(1 for _ in file) - 1
        except UnicodeDecodeError as error:
            raise MovieLensImportError(
                f"{path.name} is not UTF-8 text ({error.reason} at byte {error.start}): "
                "convert it to UTF-8"
            ) from None
        file.seek(0)
        reader = csv.reader(file)
        header = next(reader, None)
        if header != columns:
            raise MovieLensImportError(
                f"{path.name} line 1: expected the header {','.join(columns)}, "
                f"got {','.join(header or [])!r}"
            )
        step = max(total // 10, 1)
        for index, fields in enumerate(reader, start=1):
            yield reader.line_num, fields
            # One line per tenth, the last one for the final row.
            due = index == total or (index % step == 0 and index + step <= total)
            if progress is not None and total >= PROGRESS_MIN_ROWS and due:
                progress(
                    f"{path.name}: {index:,} of {total:,} rows ({round(100 * index / total)}%)"
                )


def _positive_int(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise ValueError(f"{what} must be a whole number from 1 to {MAX_ID}, got {text!r}")
    return int(text)


def _read_movies(path: Path, data: MovieLensData, errors: _Errors) -> None:
    for line, fields in _rows(path, MOVIE_COLUMNS, None):
        if len(fields) != len(MOVIE_COLUMNS):
            errors.add(path.name, line, f"expected 3 fields, got {len(fields)}")
            continue
        try:
            movie_id = _positive_int(fields[0], "movieId")
        except ValueError as error:
            errors.add(path.name, line, str(error))
            continue
        title = fields[1].strip()
        if not title.isprintable():
            errors.add(path.name, line, f"movie {movie_id} has control characters in its title")
            continue
        if not title:
            errors.add(path.name, line, f"movie {movie_id} has an empty title")
        elif movie_id in data.movies:
            errors.add(path.name, line, f"duplicate movieId {movie_id}")
        else:
            data.movies[movie_id] = (title, fields[2].strip(), None, None)


def _read_links(path: Path, data: MovieLensData, errors: _Errors) -> None:
    for line, fields in _rows(path, LINK_COLUMNS, None):
        if len(fields) != len(LINK_COLUMNS):
            errors.add(path.name, line, f"expected 3 fields, got {len(fields)}")
            continue
        movie_text, imdb_id, tmdb_text = (value.strip() for value in fields)
        try:
            movie_id = _positive_int(movie_text, "movieId")
            tmdb_id = _positive_int(tmdb_text, "tmdbId") if tmdb_text else None
            if imdb_id and not (imdb_id.isascii() and imdb_id.isdigit()):
                raise ValueError(f"imdbId must be digits, got {imdb_id!r}")
        except ValueError as error:
            errors.add(path.name, line, str(error))
            continue
        if movie_id not in data.movies:
            errors.add(path.name, line, f"unknown movie {movie_id}: not in movies.csv")
            continue
        title, genres, _, _ = data.movies[movie_id]
        data.movies[movie_id] = (title, genres, imdb_id or None, tmdb_id)


def _parse_rating(fields: list[str], data: MovieLensData) -> tuple[int, int, float, int]:
    user_id = _positive_int(fields[0], "userId")
    movie_id = _positive_int(fields[1], "movieId")
    # float() alone would also take "4_0" or Arabic-Indic digits. MovieLens writes 3.5.
    if _DECIMAL.fullmatch(fields[2]) is None:
        raise ValueError(f"rating must be a number like 3.5, got {fields[2]!r}")
    rating = float(fields[2])
    MOVIELENS_SCALE.check(rating)
    if not (fields[3].isascii() and fields[3].isdigit()) or int(fields[3]) > MAX_ID:
        raise ValueError(f"timestamp must be whole seconds since 1970, got {fields[3]!r}")
    if movie_id not in data.movies:
        raise ValueError(f"unknown movie {movie_id}: not in movies.csv")
    return user_id, movie_id, rating, int(fields[3])


def _read_ratings(path: Path, data: MovieLensData, errors: _Errors, progress) -> None:
    first_line: dict[tuple[int, int], int] = {}
    for line, fields in _rows(path, RATING_COLUMNS, progress):
        if len(fields) != len(RATING_COLUMNS):
            errors.add(path.name, line, f"expected 4 fields, got {len(fields)}")
            continue
        try:
            row = _parse_rating(fields, data)
        except ValueError as error:
            errors.add(path.name, line, str(error))
            continue
        pair = (row[0], row[1])
        if pair in first_line:
            errors.add(
                path.name,
                line,
                f"duplicate rating of movie {pair[1]} by user {pair[0]} "
                f"(first on line {first_line[pair]})",
            )
            continue
        first_line[pair] = line
        data.ratings.append(row)


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_movielens(folder: Path, progress: Progress | None = None) -> MovieLensData:
    """Read and check every row; raise ``MovieLensImportError`` listing the invalid rows."""
    paths = {name: folder / f"{name}.csv" for name in ("movies", "ratings", "links")}
    for name in ("movies", "ratings"):
        if not paths[name].is_file():
            raise MovieLensImportError(f"{paths[name]} not found: expected a MovieLens folder")
    data = MovieLensData()
    errors = _Errors()
    _read_movies(paths["movies"], data, errors)
    if paths["links"].is_file():
        _read_links(paths["links"], data, errors)
    _read_ratings(paths["ratings"], data, errors, progress)
    errors.raise_if_any()
    if not data.movies:
        raise MovieLensImportError(f"{paths['movies']} has no movies: nothing to import")
    present = [path for path in paths.values() if path.is_file()]
    data.digest = _digest(present)
    return data


def _counted(count: int, noun: str) -> str:
    """Return "1 rating" or "2 ratings"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _conflicting_chat_ratings(
    connection: sqlite3.Connection, catalogue: str, movie_ids: set[int]
) -> list[tuple[int, int]]:
    """Chat ratings that the new catalogue cannot keep: all of them on the demo catalogue."""
    rows = connection.execute(
        "SELECT ratings.user_id, ratings.movie_id FROM ratings "
        "JOIN users USING (user_id) WHERE users.source = 'chat'"
    ).fetchall()
    if catalogue == "demo":
        return rows
    return [(user_id, movie_id) for user_id, movie_id in rows if movie_id not in movie_ids]


def _write(
    connection: sqlite3.Connection, data: MovieLensData, dropped: list[tuple[int, int]]
) -> int:
    """Replace the catalogue and the non-chat users; return the number of import users."""
    connection.executemany("DELETE FROM ratings WHERE user_id = ? AND movie_id = ?", dropped)
    connection.execute("DELETE FROM users WHERE source IN ('demo', 'import')")
    current = {row[0] for row in connection.execute("SELECT movie_id FROM movies")}
    connection.executemany(
        "DELETE FROM movies WHERE movie_id = ?",
        [(movie_id,) for movie_id in current - data.movies.keys()],
    )
    connection.executemany(
        "INSERT INTO movies (movie_id, title, genres, imdb_id, tmdb_id) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (movie_id) DO UPDATE SET title = excluded.title, "
        "genres = excluded.genres, imdb_id = excluded.imdb_id, tmdb_id = excluded.tmdb_id",
        [(movie_id, *fields) for movie_id, fields in data.movies.items()],
    )

    # MovieLens user k becomes user base + k, so on a store without chat users the IDs match.
    base = connection.execute("SELECT COALESCE(MAX(user_id), 0) FROM users").fetchone()[0]
    users = sorted({row[0] for row in data.ratings})
    now = time.time()
    connection.executemany(
        "INSERT INTO users (user_id, source, external_id, created_at) VALUES (?, 'import', ?, ?)",
        [(base + user, user, now) for user in users],
    )
    revision = Store.bump_revision(connection)
    connection.executemany(
        "INSERT INTO ratings (user_id, movie_id, rating, rated_at, revision) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (base + user, movie, rating, stamp, revision)
            for user, movie, rating, stamp in data.ratings
        ],
    )
    return len(users)


def import_movielens(
    store: Store, folder: Path, *, replace: bool = False, progress: Progress | None = None
) -> ImportSummary:
    """Import a MovieLens folder into ``store`` in one transaction.

    Raises ``MovieLensImportError`` for invalid files, and when chat users have ratings
    that the new catalogue cannot keep (ratings of demo movies) unless ``replace`` drops
    them.
    """
    data = read_movielens(folder, progress)
    with store.transaction() as connection:
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("import_digest") == data.digest:
            return ImportSummary(False, len(data.movies), 0, len(data.ratings))
        conflicting = _conflicting_chat_ratings(
            connection, meta.get("catalogue", "demo"), set(data.movies)
        )
        if conflicting and not replace:
            users = len({user_id for user_id, _ in conflicting})
            ratings = _counted(len(conflicting), "rating")
            raise MovieLensImportError(
                f"{ratings} by {_counted(users, 'chat user')} of movies that the import "
                "replaces: nothing imported. Run again with --replace to drop them."
            )
        user_count = _write(connection, data, conflicting)
        store.write_meta(
            connection,
            {
                "catalogue": "movielens",
                "import_digest": data.digest,
                **store.scale_meta(MOVIELENS_SCALE),
            },
        )
    store.reload_scale()
    logger.info(
        "imported %d movies, %d users and %d ratings; dropped %d chat ratings",
        len(data.movies),
        user_count,
        len(data.ratings),
        len(conflicting),
    )
    return ImportSummary(True, len(data.movies), user_count, len(data.ratings), len(conflicting))
