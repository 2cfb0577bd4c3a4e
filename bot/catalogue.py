"""Movie details that replies show beside the title: genres and a link to its page."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MovieDetails", "parse_genres"]

# MovieLens writes this in place of an empty genre list.
NO_GENRES = "(no genres listed)"


def parse_genres(text: str | None) -> tuple[str, ...]:
    """Split MovieLens genres such as ``Comedy|Drama``; empty for none."""
    if not text or text == NO_GENRES:
        return ()
    return tuple(genre.strip() for genre in text.split("|") if genre.strip())


@dataclass(frozen=True)
class MovieDetails:
    """A movie's genres and its IMDb and TMDB IDs, where the catalogue has them."""

    genres: tuple[str, ...] = ()
    imdb_id: str | None = None
    tmdb_id: int | None = None

    def link(self) -> str | None:
        """Return the URL of the movie's IMDb page, else its TMDB page, else ``None``."""
        if self.imdb_id:
            return f"https://www.imdb.com/title/tt{self.imdb_id.zfill(7)}/"
        if self.tmdb_id:
            return f"https://www.themoviedb.org/movie/{self.tmdb_id}"
        return None
