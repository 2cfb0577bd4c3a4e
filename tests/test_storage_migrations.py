"""Schema migrations: a database written by an older release opens in a newer one."""

from __future__ import annotations

import sqlite3

import pytest

from bot import storage
from bot.storage import StorageError, Store
from recommender.data import RatingScale

CHAT_MEMBERS = next(entry for entry in storage.MIGRATIONS if "CREATE TABLE chat_members" in entry)
ADDED_COLUMN = "ALTER TABLE users ADD COLUMN note TEXT NOT NULL DEFAULT ''"


def user_version(path) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA user_version").fetchone()[0]
    finally:
        connection.close()


def test_older_schema_upgraded_with_data_kept(tmp_path, monkeypatch):
    path = tmp_path / "bot.sqlite3"
    older = Store(path, default_scale=RatingScale())
    user_id, _ = older.register(555)
    older.set_rating(user_id, 102, 4.5)
    revision = older.revision()
    older.close()
    released = storage.SCHEMA_VERSION
    assert user_version(path) == released

    # The next release appends one migration; the database must open and keep its data.
    monkeypatch.setattr(storage, "MIGRATIONS", [*storage.MIGRATIONS, ADDED_COLUMN])
    monkeypatch.setattr(storage, "SCHEMA_VERSION", released + 1)
    newer = Store(path, default_scale=RatingScale(0.5, 10, 0.5))
    try:
        assert user_version(path) == released + 1
        assert newer.register(555) == (user_id, False)
        assert newer.user_ratings(user_id) == {102: 4.5}
        assert newer.revision() == revision
        assert newer.scale == RatingScale()
    finally:
        newer.close()


def test_failed_migration_leaves_older_version(tmp_path, monkeypatch):
    path = tmp_path / "bot.sqlite3"
    Store(path, default_scale=RatingScale()).close()
    released = storage.SCHEMA_VERSION
    broken = "ALTER TABLE no_such_table ADD COLUMN note TEXT"
    monkeypatch.setattr(storage, "MIGRATIONS", [*storage.MIGRATIONS, broken])
    monkeypatch.setattr(storage, "SCHEMA_VERSION", released + 1)
    with pytest.raises(StorageError, match="no such table: no_such_table"):
        Store(path, default_scale=RatingScale())
    assert user_version(path) == released


def test_unseen_only_database_gains_chat_members(tmp_path):
    path = tmp_path / "bot.sqlite3"
    Store(path, default_scale=RatingScale()).close()
    connection = sqlite3.connect(path)
    connection.execute("DROP TABLE chat_members")
    connection.execute("ALTER TABLE users DROP COLUMN deleted_revision")
    connection.execute(f"PRAGMA user_version = {storage.MIGRATIONS.index(CHAT_MEMBERS)}")
    connection.close()
    store = Store(path, default_scale=RatingScale())
    try:
        user_id, _ = store.register(555)
        store.remember_member(-100, user_id, "Alice")
        assert user_version(path) == storage.SCHEMA_VERSION
    finally:
        store.close()


def test_older_database_gains_deleted_revision(tmp_path):
    path = tmp_path / "bot.sqlite3"
    store = Store(path, default_scale=RatingScale())
    user_id, _ = store.register(555)
    store.set_rating(user_id, 101, 4.0)
    store.set_rating(user_id, 102, 2.0)
    store.close()
    connection = sqlite3.connect(path)
    connection.execute("ALTER TABLE users DROP COLUMN deleted_revision")
    connection.execute(f"PRAGMA user_version = {storage.SCHEMA_VERSION - 1}")
    connection.commit()
    connection.close()

    store = Store(path, default_scale=RatingScale())
    try:
        assert user_version(path) == storage.SCHEMA_VERSION
        assert store.user_ratings(user_id) == {101: 4.0, 102: 2.0}
        before = store.user_revision(user_id)
        assert store.delete_rating(user_id, 102)
        assert store.user_revision(user_id) == before + 1
        assert store.snapshot().user_revisions[user_id] == before + 1
    finally:
        store.close()
