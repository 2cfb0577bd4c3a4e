"""Texts by language: catalogue consistency and replies in the sender's language."""

import string

import pytest

from bot.texts import FALLBACK_LANGUAGE, LANGUAGES, catalogue, texts_for

ENGLISH = catalogue(FALLBACK_LANGUAGE)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_languages_include_english_and_russian():
    assert "en" in LANGUAGES
    assert "ru" in LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_keys_exist_in_english(language):
    assert set(catalogue(language)) <= set(ENGLISH)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_placeholders_match_english(language):
    for key, template in catalogue(language).items():
        assert placeholders(template) == placeholders(ENGLISH[key]), key


def test_russian_catalogue_is_complete():
    assert set(catalogue("ru")) == set(ENGLISH)


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("ru", "ru"),
        ("RU", "ru"),
        ("ru-RU", "ru"),
        ("en-US", "en"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_language_code_picks_texts(language_code, expected):
    assert texts_for(language_code).language == expected


async def test_russian_user_gets_russian_replies(bot):
    assert "Ваш номер пользователя: #6." in await bot.reply("/start", language_code="ru")
    reply = await bot.reply("/rate 102 6", language_code="ru")
    assert reply.startswith("Оценка 6 вне шкалы от 1 до 5.")
    assert reply.endswith("Использование: /rate <movie_id> <rating>")
    assert "Конфиденциальность" in await bot.reply("/help", language_code="ru")


async def test_unknown_language_falls_back_to_english(bot):
    assert "You are user #6." in await bot.reply("/start", language_code="de")
    assert "You are user #6." in await bot.reply("/start", language_code=None)


def test_html_escapes_template_not_values():
    texts = texts_for("en")
    rendered = texts.html("recommend_header")
    assert rendered == "Your top picks:"
    usage = texts.html("rate_usage")
    assert usage == "Usage: /rate &lt;movie_id&gt; &lt;rating&gt;"
    assert texts.html("rate_stars", movie="<b>x</b>") == "How would you rate <b>x</b>?"
