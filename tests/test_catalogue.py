"""A 10,000-movie catalogue with HTML characters in titles: paging, limits, title search."""

import html
import re
import sqlite3

import pytest

from bot.app import DATABASE_NAME
from bot.callbacks import PagePress
from bot.handlers.browse import MOVIES_PER_PAGE
from bot.replies import MAX_MESSAGE_LENGTH, RATE_USAGE
from bot.storage import Store
from recommender.data import DEMO_MOVIE_IDS
from tests.conftest import start_harness, stop_harness

MOVIE_COUNT = 10_000
TRICKY_TITLES = {
    1: "Tom & Jerry <Uncut> (1999)",
    2: '"Quoted" <b>not bold</b> (2001)',
    3: "300 (2006)",
    4: "The Matrix (1999)",
    5: "The Matrix Reloaded (2003)",
    6: "A " + "very long title " * 40 + "(1990)",
}
# Genres and IMDb / TMDB IDs, as a MovieLens import stores them.
DETAILS = {
    1: ("Animation|Children's & <Family>", "114709", 862),
    4: ("Action|Sci-Fi", None, 603),
    5: ("Action|Sci-Fi", None, None),
    7: ("(no genres listed)", None, None),
}
# Around the demo movies 101-104, which every new database contains.
GENERATED_IDS = [movie for movie in range(1, MOVIE_COUNT + 5) if movie not in DEMO_MOVIE_IDS]
TAG = re.compile(r"</?([a-z]+)[^>]*>")


def catalogue_title(movie_id: int) -> str:
    return TRICKY_TITLES.get(movie_id, f"Generated movie {movie_id} ({1900 + movie_id % 120})")


@pytest.fixture
async def big_bot(make_settings):
    # Few epochs: these tests check reply sizes and texts, not the model's quality.
    settings = make_settings(train_epochs=3)
    store = Store(
        settings.data_dir / DATABASE_NAME,
        default_scale=settings.rating_scale(),
        load_demo_data=True,
    )
    store.close()
    with sqlite3.connect(settings.data_dir / DATABASE_NAME) as connection:
        connection.executemany(
            "INSERT INTO movies (movie_id, title, genres, imdb_id, tmdb_id) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (movie_id, catalogue_title(movie_id), *DETAILS.get(movie_id, ("", None, None)))
                for movie_id in GENERATED_IDS
            ],
        )
    harness = await start_harness(settings)
    await harness.settle()
    yield harness
    await stop_harness(harness)


def add_ratings(harness, telegram_id: int, movie_ids: range, rating: float) -> None:
    """Store many ratings in one transaction, faster than one command each."""
    user_id, _ = harness.service.store.register(telegram_id)
    with sqlite3.connect(harness.service.store.path) as connection:
        connection.executemany(
            "INSERT INTO ratings (user_id, movie_id, rating, rated_at, revision) "
            "VALUES (?, ?, ?, ?, 1)",
            [(user_id, movie_id, rating, 1_700_000_000 + movie_id) for movie_id in movie_ids],
        )


def sent_messages(harness) -> list[dict]:
    return [
        call.parameters
        for call in harness.api.calls
        if call.method in ("sendMessage", "editMessageText")
    ]


def assert_valid_html(text: str) -> None:
    """Only tags the bot writes itself may appear; every other '<' arrives escaped."""
    assert {match[1] for match in TAG.finditer(text)} <= {"a", "b", "i"}
    assert len(html.unescape(TAG.sub("", text))) <= MAX_MESSAGE_LENGTH


async def test_movies_pages_through_catalogue(big_bot):
    total = MOVIE_COUNT + 4
    pages = -(-total // MOVIES_PER_PAGE)
    first = await big_bot.reply("/movies")
    assert first.startswith(f"Movies 1-{MOVIES_PER_PAGE} of {total} (page 1 of {pages}):")
    assert "Tom &amp; Jerry &lt;Uncut&gt; (1999)</a>" in first
    assert [button["text"] for button in big_bot.buttons()] == ["Next »"]

    await big_bot.press(PagePress(2).data())
    labels = [button["text"] for button in big_bot.buttons()]
    assert labels == ["« Previous", "Next »"]
    edited = sent_messages(big_bot)[-1]["text"]
    assert edited.startswith(f"Movies 21-40 of {total} (page 2 of {pages}):")

    last = await big_bot.reply(f"/movies {pages}")
    assert f"of {total} (page {pages} of {pages})" in last
    assert f"#{MOVIE_COUNT + 4} Generated movie" in last
    assert [button["text"] for button in big_bot.buttons()] == ["« Previous"]


async def test_movies_rejects_bad_page(big_bot):
    assert (await big_bot.reply("/movies 0")).endswith("Usage: /movies [page]")
    assert (await big_bot.reply("/movies two")).startswith("Page must be a whole number")
    missing = await big_bot.reply("/movies 999999")
    assert missing.startswith("There is no page 999999: the last page is 501.")


async def test_every_reply_fits_one_message(big_bot):
    add_ratings(big_bot, 555, range(1, 400), 4.0)
    await big_bot.send("/rate 7 5", user_id=555)
    commands = ["/movies", "/myratings", "/recommend", "/recommend all", "/help", "/start"]
    for command in commands:
        await big_bot.send(command, user_id=555)
    await big_bot.send("/rate generated 4", user_id=555)
    for message in sent_messages(big_bot):
        assert len(message["text"]) <= MAX_MESSAGE_LENGTH
        if message.get("parse_mode") == "HTML":
            assert_valid_html(message["text"])
    await big_bot.settle()


async def test_myratings_stops_before_limit(big_bot):
    add_ratings(big_bot, 555, range(200, 500), 3.0)
    reply = await big_bot.reply("/myratings", user_id=555)
    assert reply.startswith("Your ratings (300), newest first:")
    assert re.search(r"…and \d+ more\. /export sends all of them\.$", reply)
    assert len(reply) <= MAX_MESSAGE_LENGTH
    assert reply.splitlines()[1] == "#499 Generated movie 499 (1919): 3"


async def test_titles_are_escaped(big_bot):
    reply = await big_bot.reply("/rate 2 4", user_id=555)
    assert reply.startswith(
        "Saved: movie #2 &quot;Quoted&quot; &lt;b&gt;not bold&lt;/b&gt; (2001) rated 4."
    )
    assert_valid_html(reply)
    long_title = await big_bot.reply("/rate 6 3", user_id=555)
    assert "…" in long_title
    assert len(long_title) < 300
    await big_bot.settle()


async def test_rate_by_title_words(big_bot):
    reply = await big_bot.reply("/rate tom JERRY 4.5", user_id=555)
    assert reply.startswith("Saved: movie #1 Tom &amp; Jerry")
    assert (await big_bot.reply("/rate reload 5", user_id=555)).startswith("Saved: movie #5 ")
    assert (await big_bot.reply("/rate 300 2006 3", user_id=555)).startswith("Saved: movie #3 ")
    user_id = big_bot.service.store.user_for_telegram(555)
    assert big_bot.service.store.user_ratings(user_id) == {1: 4.5, 3: 3.0, 5: 5.0}
    await big_bot.settle()


async def test_rate_by_title_offers_matches(big_bot):
    reply = await big_bot.reply("/rate matrix 4", user_id=555)
    assert reply.startswith("Several movies match 'matrix'.")
    labels = [button["text"] for button in big_bot.buttons()]
    assert labels == ["#4 The Matrix (1999) - 4★", "#5 The Matrix Reloaded (2003) - 4★"]
    await big_bot.press(big_bot.buttons()[1]["callback_data"], user_id=555)
    user_id = big_bot.service.store.user_for_telegram(555)
    assert big_bot.service.store.user_ratings(user_id) == {5: 4.0}
    many = await big_bot.reply("/rate generated 4", user_id=555)
    assert many.startswith("Several movies match 'generated'.")
    assert len(big_bot.buttons()) == 8
    await big_bot.settle()


async def test_rate_by_title_errors(big_bot):
    reply = await big_bot.reply("/rate nosuchwords 4", user_id=555)
    assert reply.startswith("No movie title contains 'nosuchwords'.")
    assert reply.endswith(RATE_USAGE)
    bad_rating = await big_bot.reply("/rate matrix 7", user_id=555)
    assert bad_rating.startswith("Rating 7 is outside the scale 1 to 5.")
    assert big_bot.service.store.user_for_telegram(555) is not None
    user_id = big_bot.service.store.user_for_telegram(555)
    assert big_bot.service.store.user_ratings(user_id) == {}


async def test_movies_show_genres_and_links(big_bot):
    first = await big_bot.reply("/movies")
    lines = first.splitlines()
    assert lines[1] == (
        '#1 <a href="https://www.imdb.com/title/tt0114709/">Tom &amp; Jerry &lt;Uncut&gt; '
        "(1999)</a> · Animation, Children&#x27;s &amp; &lt;Family&gt;"
    )
    assert lines[4] == (
        '#4 <a href="https://www.themoviedb.org/movie/603">The Matrix (1999)</a> · Action, Sci-Fi'
    )
    assert lines[5] == "#5 The Matrix Reloaded (2003) · Action, Sci-Fi"
    assert lines[7] == "#7 Generated movie 7 (1907)"
    assert_valid_html(first)


async def test_recommend_by_genre(big_bot):
    await big_bot.send("/rate 2 5", user_id=555)
    reply = await big_bot.reply("/recommend SCI-FI", user_id=555)
    assert reply.startswith("Your top picks in Sci-Fi:")
    assert sorted(re.findall(r"Movie #(\d+)", reply)) == ["4", "5"]
    assert all(button["text"] != "More picks »" for button in big_bot.buttons())
    unknown = await big_bot.reply("/recommend western", user_id=555)
    assert unknown.startswith("Unknown option 'western'.")
    assert unknown.endswith("Usage: /recommend [all|group|<genre>]")


async def test_stars_prompt_shows_details(big_bot):
    await big_bot.send("/rate matrix 4", user_id=555)
    await big_bot.press("s:4", user_id=555)
    prompt = [call for call in big_bot.api.calls if call.method == "editMessageText"][-1]
    assert prompt.parameters["text"].startswith(
        'How would you rate #4 <a href="https://www.themoviedb.org/movie/603">The Matrix'
    )
    assert prompt.parameters["parse_mode"] == "HTML"


async def test_genre_list_pages_on(make_settings):
    settings = make_settings(train_epochs=3)
    Store(settings.data_dir / DATABASE_NAME, default_scale=settings.rating_scale()).close()
    with sqlite3.connect(settings.data_dir / DATABASE_NAME) as connection:
        connection.executemany(
            "INSERT INTO movies (movie_id, title, genres) VALUES (?, ?, ?)",
            [(movie, f"Comedy {movie}", "Comedy") for movie in range(1, 26)]
            + [(movie, f"Drama {movie}", "Drama") for movie in range(26, 40)],
        )
    harness = await start_harness(settings)
    await harness.settle()
    await harness.send("/rate 101 5", user_id=555)
    first = await harness.reply("/recommend comedy", user_id=555)
    assert first.startswith("Your top picks in Comedy:")
    more = [button for button in harness.buttons() if button["text"] == "More picks »"]
    assert more[0]["callback_data"] == "n:10:u:comedy"
    await harness.press_label("More picks »", user_id=555)
    second = harness.api.calls[-1].parameters["text"]
    movie_ids = re.findall(r"Movie #(\d+)", first) + re.findall(r"Movie #(\d+)", second)
    assert len(movie_ids) == 20
    assert len(set(movie_ids)) == 20
    assert all(1 <= int(movie) <= 25 for movie in movie_ids)
    await stop_harness(harness)


async def test_long_titles_keep_recommend_under_limit(make_settings):
    settings = make_settings(train_epochs=3, recommend_limit=30)
    Store(settings.data_dir / DATABASE_NAME, default_scale=settings.rating_scale()).close()
    with sqlite3.connect(settings.data_dir / DATABASE_NAME) as connection:
        connection.executemany(
            "INSERT INTO movies (movie_id, title) VALUES (?, ?)",
            [(movie, f"{movie} " + "long title " * 180) for movie in range(1, 31)],
        )
    harness = await start_harness(settings)
    await harness.settle()
    reply = await harness.reply("/recommend all", user_id=555)
    assert len(reply) <= 4096
    listed = len(re.findall(r"Movie #\d+", reply))
    assert listed > 0
    assert listed < 30
    assert any(button["text"] == "More picks »" for button in harness.buttons())
    await stop_harness(harness)


async def test_movies_on_empty_catalogue(make_settings):
    settings = make_settings(load_demo_data=False)
    Store(settings.data_dir / DATABASE_NAME, default_scale=settings.rating_scale()).close()
    with sqlite3.connect(settings.data_dir / DATABASE_NAME) as connection:
        connection.execute("DELETE FROM movies")
    harness = await start_harness(settings)
    assert await harness.reply("/movies") == "The catalogue has no movies yet."
    await stop_harness(harness)
