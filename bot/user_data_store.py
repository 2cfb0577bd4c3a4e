"""Store queries about one user's own data: removals, "not seen" marks, groups, forgetting.

``Store`` inherits these, so they share its connection, lock and transactions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["RatingRecord", "UserDataQueries"]


@dataclass(frozen=True)
class RatingRecord:
    """One of a user's stored ratings, or a movie marked as not seen (``rating`` ``None``)."""

    movie_id: int
    rating: float | None
    rated_at: float


class UserDataQueries:
    """Queries mixed into ``Store``.

    ``Store`` provides ``_lock``, ``_connection``, ``_transaction()`` and
    ``_bump_revision()``; this class is never used on its own.
    """

    def delete_rating(self, user_id: int, movie_id: int) -> bool:
        """Delete one rating and commit; return false if the user had not rated the movie."""
        with self._transaction() as connection:
            cursor = connection.execute(
                "DELETE FROM ratings WHERE user_id = ? AND movie_id = ?", (user_id, movie_id)
            )
            if cursor.rowcount == 0:
                return False
            self._record_deletion(connection, user_id)
        return True

    def _record_deletion(self, connection, user_id: int) -> None:
        """Bump the store revision for a deleted rating and note it as the user's change."""
        revision = self._bump_revision(connection)
        connection.execute(
            "UPDATE users SET deleted_revision = ? WHERE user_id = ?", (revision, user_id)
        )

    def mark_unseen(self, user_id: int, movie_id: int) -> bool:
        """Mark a movie as not seen, dropping any rating of it; return true if one was dropped."""
        with self._transaction() as connection:
            cursor = connection.execute(
                "DELETE FROM ratings WHERE user_id = ? AND movie_id = ?", (user_id, movie_id)
            )
            dropped = cursor.rowcount > 0
            if dropped:
                self._record_deletion(connection, user_id)
            connection.execute(
                "INSERT INTO unseen (user_id, movie_id, marked_at) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id, movie_id) DO NOTHING",
                (user_id, movie_id, time.time()),
            )
        return dropped

    def unseen_movies(self, user_id: int) -> set[int]:
        """Return the movies the user marked as not seen."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT movie_id FROM unseen WHERE user_id = ?", (user_id,)
            ).fetchall()
        return {int(row[0]) for row in rows}

    def user_records(self, user_id: int) -> list[RatingRecord]:
        """List the user's ratings and not-seen marks, newest first."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT movie_id, rating, rated_at FROM ratings WHERE user_id = ? "
                "UNION ALL "
                "SELECT movie_id, NULL, marked_at FROM unseen WHERE user_id = ? "
                "ORDER BY 3 DESC, 1",
                (user_id, user_id),
            ).fetchall()
        return [
            RatingRecord(int(movie_id), None if rating is None else float(rating), rated_at)
            for movie_id, rating, rated_at in rows
        ]

    def popular_unrated(self, user_id: int, limit: int) -> list[int]:
        """List the most rated movies that the user has neither rated nor marked as not seen."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT movies.movie_id FROM movies "
                "LEFT JOIN ratings ON ratings.movie_id = movies.movie_id "
                "WHERE movies.movie_id NOT IN "
                "(SELECT movie_id FROM ratings WHERE user_id = ?) "
                "AND movies.movie_id NOT IN (SELECT movie_id FROM unseen WHERE user_id = ?) "
                "GROUP BY movies.movie_id "
                "ORDER BY COUNT(ratings.movie_id) DESC, movies.movie_id LIMIT ?",
                (user_id, user_id, limit),
            ).fetchall()
        return [int(row[0]) for row in rows]

    def remember_member(self, chat_id: int, user_id: int, first_name: str) -> None:
        """Record that a user sent a command in a group chat, with their current first name."""
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO chat_members (chat_id, user_id, first_name, seen_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, user_id) DO UPDATE SET "
                "first_name = excluded.first_name, seen_at = excluded.seen_at",
                (chat_id, user_id, first_name, time.time()),
            )

    def rating_members(self, chat_id: int) -> list[tuple[int, str]]:
        """List (user ID, first name) of a group's known members who rated a movie."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT user_id, first_name FROM chat_members WHERE chat_id = ? "
                "AND EXISTS (SELECT 1 FROM ratings WHERE ratings.user_id = chat_members.user_id) "
                "ORDER BY seen_at, user_id",
                (chat_id,),
            ).fetchall()
        return [(int(user_id), first_name) for user_id, first_name in rows]

    def forget_user(self, telegram_id: int) -> bool:
        """Delete a Telegram user's row, ratings and marks; return false if none existed.

        The user ID is never reused (``AUTOINCREMENT``), so a returning user gets a new one.
        """
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT user_id FROM users WHERE telegram_id = ?", (telegram_id,)
            ).fetchone()
            if row is None:
                return False
            self._bump_revision(connection)
            connection.execute("DELETE FROM users WHERE user_id = ?", (row[0],))
        return True
