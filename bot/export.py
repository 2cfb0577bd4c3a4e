"""The CSV file that ``/export`` sends: a user's ratings and not-seen marks with times."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from bot.storage import RatingRecord

__all__ = ["EXPORT_COLUMNS", "EXPORT_FILENAME", "ratings_csv"]

EXPORT_FILENAME = "ratings.csv"
EXPORT_COLUMNS = ["movie_id", "title", "rating", "status", "time_utc"]


def ratings_csv(records: Iterable[RatingRecord], titles: Mapping[int, str]) -> bytes:
    """Write one CSV row per record; ``status`` is ``rated`` or ``not_seen``.

    Times are ISO 8601 in UTC. The file is UTF-8 with a byte order mark, so spreadsheet
    programs read non-ASCII titles correctly.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for record in records:
        when = datetime.fromtimestamp(record.rated_at, UTC).isoformat(timespec="seconds")
        writer.writerow(
            [
                record.movie_id,
                titles.get(record.movie_id, ""),
                "" if record.rating is None else f"{record.rating:g}",
                "not_seen" if record.rating is None else "rated",
                when,
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
