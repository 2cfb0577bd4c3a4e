"""Small generated data sets in MovieLens format, with planted tastes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

MOVIES_HEADER = "movieId,title,genres"
RATINGS_HEADER = "userId,movieId,rating,timestamp"
LINKS_HEADER = "movieId,imdbId,tmdbId"


def planted_ratings(
    users: int = 60, movies: int = 40, per_user: int = 20, seed: int = 0
) -> pd.DataFrame:
    """Ratings from two taste groups: even users like even movies, odd users odd ones.

    Each movie also has its own quality, so both the biases and the tastes carry signal.
    """
    rng = np.random.default_rng(seed)
    quality = rng.normal(0.0, 0.5, movies)
    rows = []
    for user in range(1, users + 1):
        for movie in rng.choice(movies, size=per_user, replace=False):
            liked = (user % 2) == (movie % 2)
            stars = 3.0 + (1.2 if liked else -1.2) + quality[movie] + rng.normal(0.0, 0.3)
            rating = float(np.clip(np.round(stars * 2) / 2, 0.5, 5.0))
            rows.append((user, int(movie) + 1, rating, 1_000_000 + len(rows)))
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "rated_at"])


def write_movielens(
    folder: Path,
    ratings: pd.DataFrame | None = None,
    *,
    movies: int = 40,
    links: bool = True,
    extra_rating_lines: list[str] = (),
    extra_movie_lines: list[str] = (),
) -> Path:
    """Write movies.csv, ratings.csv and links.csv; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    ratings = planted_ratings(movies=movies) if ratings is None else ratings
    movie_lines = [MOVIES_HEADER]
    movie_lines += [
        f'{movie},"Movie {movie}, the sequel ({1990 + movie})",Comedy|Drama'
        for movie in range(1, movies + 1)
    ]
    movie_lines += list(extra_movie_lines)
    (folder / "movies.csv").write_text("\n".join(movie_lines) + "\n", encoding="utf-8")

    rating_lines = [RATINGS_HEADER]
    rating_lines += [
        f"{row.user_id},{row.movie_id},{row.rating:.1f},{int(row.rated_at)}"
        for row in ratings.itertuples()
    ]
    rating_lines += list(extra_rating_lines)
    (folder / "ratings.csv").write_text("\n".join(rating_lines) + "\n", encoding="utf-8")
    if links:
        link_lines = [LINKS_HEADER]
        link_lines += [
            f"{movie},{114700 + movie:07d},{800 + movie}" for movie in range(1, movies + 1)
        ]
        (folder / "links.csv").write_text("\n".join(link_lines) + "\n", encoding="utf-8")
    return folder
