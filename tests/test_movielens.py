import sqlite3

import pandas as pd
import pytest

from bot.__main__ import main
from bot.movielens import MovieLensImportError, import_movielens
from bot.storage import Store
from recommender.data import MOVIELENS_SCALE, RatingScale
from tests.conftest import start_harness, stop_harness
from tests.movielens_files import planted_ratings, write_movielens

MOVIES = 110


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "bot.sqlite3", default_scale=RatingScale())
    yield opened
    opened.close()


@pytest.fixture
def folder(tmp_path):
    return write_movielens(tmp_path / "ml", planted_ratings(movies=MOVIES), movies=MOVIES)


def count(store, table, where="1"):
    connection = sqlite3.connect(store.path)
    try:
        return connection.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0]
    finally:
        connection.close()


def test_import_replaces_demo_data(store, folder):
    summary = import_movielens(store, folder)
    ratings = planted_ratings(movies=MOVIES)
    assert summary.changed
    assert summary.movies == MOVIES
    assert summary.users == ratings["user_id"].nunique()
    assert len(store.snapshot().ratings) == len(ratings)
    assert count(store, "users", "source = 'demo'") == 0
    assert store.movie_titles()[101] == "Movie 101, the sequel (2091)"
    assert store.user_ratings(1) == {
        row.movie_id: row.rating for row in ratings[ratings["user_id"] == 1].itertuples()
    }


def test_import_records_genres_links_and_scale(store, folder):
    import_movielens(store, folder)
    connection = sqlite3.connect(store.path)
    row = connection.execute(
        "SELECT genres, imdb_id, tmdb_id FROM movies WHERE movie_id = 3"
    ).fetchone()
    connection.close()
    assert row == ("Comedy|Drama", "0114703", 803)
    assert store.scale == MOVIELENS_SCALE
    store.close()
    reopened = Store(store.path, default_scale=RatingScale())
    assert reopened.scale == MOVIELENS_SCALE
    reopened.set_rating(1, 5, 0.5)
    reopened.close()


def test_import_without_links(store, tmp_path):
    folder = write_movielens(tmp_path / "ml", movies=40, links=False)
    assert import_movielens(store, folder).movies == 40


def test_second_import_changes_nothing(store, folder):
    import_movielens(store, folder)
    revision = store.revision()
    again = import_movielens(store, folder)
    assert not again.changed
    assert store.revision() == revision
    assert count(store, "users", "source = 'import'") == 60


@pytest.mark.parametrize(
    ("rating_line", "reason"),
    [
        ("1,2", "ratings.csv line 1202: expected 4 fields, got 2"),
        ("x,2,4.0,100", "ratings.csv line 1202: userId must be a whole number from 1"),
        ("1,999,4.0,100", "ratings.csv line 1202: unknown movie 999"),
        ("1,2,5.5,100", "ratings.csv line 1202: rating 5.5 is outside the scale 0.5 to 5"),
        ("1,2,4.2,100", "ratings.csv line 1202: rating 4.2 is not a multiple of 0.5"),
        ("1,2,four,100", "ratings.csv line 1202: rating must be a number"),
        ("1,2,4_0,100", "ratings.csv line 1202: rating must be a number like 3.5, got '4_0'"),
        ("1,2,\u0664,100", "ratings.csv line 1202: rating must be a number like 3.5"),
        ("1,2,nan,100", "ratings.csv line 1202: rating must be a number like 3.5, got .nan."),
        ("1,2,4.0,soon", "ratings.csv line 1202: timestamp must be whole seconds"),
    ],
)
def test_bad_rating_row_is_reported(store, tmp_path, rating_line, reason):
    folder = write_movielens(
        tmp_path / "ml",
        planted_ratings(movies=MOVIES),
        movies=MOVIES,
        extra_rating_lines=[rating_line],
    )
    with pytest.raises(MovieLensImportError, match=reason):
        import_movielens(store, folder)
    assert count(store, "users", "source = 'demo'") == 5
    assert store.scale == RatingScale()


def test_duplicate_pair_is_reported_with_both_lines(store, tmp_path):
    ratings = planted_ratings(movies=MOVIES)
    first = ratings.iloc[0]
    duplicate = f"{int(first.user_id)},{int(first.movie_id)},3.0,5"
    folder = write_movielens(
        tmp_path / "ml", ratings, movies=MOVIES, extra_rating_lines=[duplicate]
    )
    with pytest.raises(MovieLensImportError, match=r"line 1202: duplicate .*first on line 2"):
        import_movielens(store, folder)


@pytest.mark.parametrize(
    ("movie_line", "reason"),
    [
        ('5,"Again",Drama', "movies.csv line 112: duplicate movieId 5"),
        ("0,Zero,Drama", "movies.csv line 112: movieId must be a whole number from 1"),
        ("99999999999999999999,Huge,Drama", "movies.csv line 112: movieId must be a whole"),
        ('202,"Nul\x00title",Drama', "movies.csv line 112: movie 202 has control characters"),
        ('200,"",Drama', "movies.csv line 112: movie 200 has an empty title"),
        ("201,Short", "movies.csv line 112: expected 3 fields, got 2"),
    ],
)
def test_bad_movie_row_is_reported(store, tmp_path, movie_line, reason):
    folder = write_movielens(tmp_path / "ml", movies=MOVIES, extra_movie_lines=[movie_line])
    with pytest.raises(MovieLensImportError, match=reason):
        import_movielens(store, folder)
    assert store.movie_titles()[101] == "Demo movie 101"


def test_non_ascii_imdb_id_is_reported(store, tmp_path):
    folder = write_movielens(tmp_path / "ml", movies=20)
    (folder / "links.csv").write_text(
        "movieId,imdbId,tmdbId\n1,\u0661\u0662\u0663,5\n", encoding="utf-8"
    )
    with pytest.raises(MovieLensImportError, match=r"links\.csv line 2: imdbId must be digits"):
        import_movielens(store, folder)


def test_bad_header_and_missing_file(store, tmp_path):
    folder = write_movielens(tmp_path / "ml", movies=20)
    (folder / "links.csv").write_text("movie,imdb,tmdb\n1,1,1\n", encoding="utf-8")
    with pytest.raises(MovieLensImportError, match=r"links\.csv line 1: expected the header"):
        import_movielens(store, folder)
    (folder / "ratings.csv").unlink()
    with pytest.raises(MovieLensImportError, match=r"ratings\.csv not found"):
        import_movielens(store, folder)


def test_many_errors_are_counted(store, tmp_path):
    bad = [f"1,{900 + index},4.0,1" for index in range(30)]
    folder = write_movielens(tmp_path / "ml", movies=20, extra_rating_lines=bad)
    with pytest.raises(MovieLensImportError, match=r"30 invalid rows(.|\n)*and 10 more"):
        import_movielens(store, folder)


def test_chat_ratings_of_demo_movies_need_replace(store, folder):
    user_id, _ = store.register(555)
    store.set_rating(user_id, 102, 4.0)
    rejection = r"1 rating by 1 chat user of movies.*--replace"
    with pytest.raises(MovieLensImportError, match=rejection):
        import_movielens(store, folder)
    assert store.user_ratings(user_id) == {102: 4.0}

    summary = import_movielens(store, folder, replace=True)
    assert summary.dropped_chat_ratings == 1
    assert store.user_ratings(user_id) == {}
    assert store.user_for_telegram(555) == user_id
    assert count(store, "users", f"source = 'import' AND user_id = {user_id + 1}") == 1


def test_chat_user_ratings_survive_reimport(store, folder, tmp_path):
    import_movielens(store, folder)
    user_id, _ = store.register(555)
    store.set_rating(user_id, 7, 4.5)
    smaller = write_movielens(
        tmp_path / "ml2", planted_ratings(users=30, movies=MOVIES), movies=MOVIES
    )
    summary = import_movielens(store, smaller)
    assert summary.users == 30
    assert store.user_ratings(user_id) == {7: 4.5}


def test_cli_imports_into_data_dir(tmp_path, folder, monkeypatch, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    assert main(["import-movielens", str(folder)]) == 0
    assert f"Imported {MOVIES} movies, 60 users" in capsys.readouterr().out
    assert main(["import-movielens", str(folder)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert main(["import-movielens", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_cli_import_removes_the_old_checkpoint(tmp_path, folder, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    checkpoint = data_dir / "model.pt"
    checkpoint.write_bytes(b"a model of the demo catalogue")
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    assert main(["import-movielens", str(folder)]) == 0
    assert "Removed the model checkpoint" in capsys.readouterr().out
    assert not checkpoint.exists()


async def test_bot_after_import_over_demo_data_is_personal(make_settings, folder):
    settings = make_settings()
    harness = await start_harness(settings)
    await harness.settle()
    await stop_harness(harness)
    assert (settings.data_dir / "model.pt").exists()
    store = Store(settings.data_dir / "bot.sqlite3", default_scale=settings.rating_scale())
    import_movielens(store, folder)
    store.close()
    (settings.data_dir / "model.pt").unlink()

    harness = await start_harness(settings)
    await harness.settle()
    await harness.reply("/rate 7 5", user_id=555)
    reply = await harness.reply("/recommend", user_id=555)
    assert "Still learning" not in reply
    assert "(predicted " in reply
    await stop_harness(harness)


async def test_bot_serves_imported_catalogue(make_settings, folder):
    settings = make_settings()
    store = Store(settings.data_dir / "bot.sqlite3", default_scale=settings.rating_scale())
    import_movielens(store, folder)
    store.close()

    harness = await start_harness(settings)
    await harness.settle()
    assert "rated 0.5" in await harness.reply("/rate 7 0.5", user_id=555)
    reply = await harness.reply("/recommend", user_id=555)
    lines = [line for line in reply.splitlines() if "Movie #" in line]
    assert len(lines) == 10
    assert "#7:" not in reply
    assert "(predicted " in lines[0]
    assert "from 0.5 to 5" in await harness.reply("/help", user_id=555)
    await stop_harness(harness)


def test_byte_order_mark_is_accepted(store, tmp_path):
    folder = write_movielens(tmp_path / "ml", movies=20)
    movies = folder / "movies.csv"
    movies.write_bytes(b"\xef\xbb\xbf" + movies.read_bytes())
    import_movielens(store, folder)
    assert len(store.movie_titles()) == 20


def test_non_utf8_file_is_reported(store, tmp_path):
    folder = write_movielens(tmp_path / "ml", movies=20)
    movies = folder / "movies.csv"
    movies.write_bytes(movies.read_bytes() + "21,Caf\xe9 (1995),Drama\n".encode("latin-1"))
    with pytest.raises(MovieLensImportError, match=r"movies\.csv is not UTF-8 text"):
        import_movielens(store, folder)
    assert store.movie_titles()[101] == "Demo movie 101"


def test_empty_catalogue_is_rejected(store, tmp_path):
    empty = pd.DataFrame(columns=["user_id", "movie_id", "rating", "rated_at"])
    folder = write_movielens(tmp_path / "ml", empty, movies=0, links=False)
    with pytest.raises(MovieLensImportError, match="has no movies: nothing to import"):
        import_movielens(store, folder)
    assert count(store, "users", "source = 'demo'") == 5
