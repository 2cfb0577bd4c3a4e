import sqlite3

import pytest

from bot.storage import SCHEMA_VERSION, StorageError, Store
from recommender.data import RatingScale, demo_ratings


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "bot.sqlite3", default_scale=RatingScale())
    yield opened
    opened.close()


def test_new_store_loads_demo_ratings(store):
    snapshot = store.snapshot()
    assert len(snapshot.ratings) == len(demo_ratings())
    assert snapshot.movie_ids == (101, 102, 103, 104)
    assert snapshot.revision == store.revision() == 1


def test_new_store_without_demo_has_catalogue_only(tmp_path):
    store = Store(tmp_path / "db", default_scale=RatingScale(), load_demo_data=False)
    assert store.snapshot().ratings.empty
    assert list(store.movie_titles()) == [101, 102, 103, 104]
    assert store.register(7) == (1, True)
    store.close()


def test_chat_users_numbered_after_demo_users(store):
    assert store.register(555) == (6, True)
    assert store.register(777) == (7, True)
    assert store.register(555) == (6, False)
    assert store.user_for_telegram(777) == 7
    assert store.user_for_telegram(999) is None


def test_user_mapping_survives_reopen(tmp_path):
    path = tmp_path / "bot.sqlite3"
    first = Store(path, default_scale=RatingScale())
    user_id, _ = first.register(555)
    first.set_rating(user_id, 102, 4.5)
    first.close()

    second = Store(path, default_scale=RatingScale(0.5, 10, 0.5))
    assert second.register(555) == (user_id, False)
    assert second.user_ratings(user_id) == {102: 4.5}
    assert second.scale == RatingScale()
    assert len(second.snapshot().ratings) == len(demo_ratings()) + 1
    second.close()


def test_rerating_replaces_and_bumps_revision(store):
    user_id, _ = store.register(555)
    first = store.set_rating(user_id, 101, 2.0)
    second = store.set_rating(user_id, 101, 4.0)
    assert first.previous is None
    assert second.previous == 2.0
    assert second.revision == first.revision + 1
    assert store.user_ratings(user_id) == {101: 4.0}
    assert store.user_revision(user_id) == second.revision
    assert store.user_revision(999) == 0


def test_rating_off_scale_is_not_stored(store):
    user_id, _ = store.register(555)
    with pytest.raises(ValueError, match="outside the scale"):
        store.set_rating(user_id, 101, 6.0)
    assert store.user_ratings(user_id) == {}
    assert store.revision() == 1


def test_rating_unknown_movie_is_not_stored(store):
    user_id, _ = store.register(555)
    with pytest.raises(sqlite3.IntegrityError):
        store.set_rating(user_id, 999, 4.0)
    assert store.user_ratings(user_id) == {}
    assert store.revision() == 1


def test_database_uses_wal_and_schema_version(tmp_path, store):
    connection = sqlite3.connect(store.path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    connection.close()


def test_newer_schema_is_rejected(tmp_path):
    path = tmp_path / "bot.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(StorageError, match="newer than this release"):
        Store(path, default_scale=RatingScale())


def test_corrupt_database_raises_storage_error(tmp_path):
    path = tmp_path / "bot.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        Store(path, default_scale=RatingScale())


def test_second_store_on_same_database_rejected(tmp_path, store):
    with pytest.raises(StorageError, match="in use by another process"):
        Store(store.path, default_scale=RatingScale())
    store.close()
    Store(store.path, default_scale=RatingScale()).close()
