"""Group picks and "because you rated" explanations, built on a trained ``Ranker``."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from recommender.ranking import Ranker

__all__ = ["DISLIKE_SCORE", "blend_group_scores", "closest_movie"]

# A predicted score below this (2.4 stars on a 1-5 scale) counts as a dislike. A group pick
# that any member is predicted to dislike ranks after every pick that none dislikes.
DISLIKE_SCORE = 0.35


def blend_group_scores(
    member_scores: Sequence[dict[int, float]], limit: int
) -> list[tuple[int, float]]:
    """Rank movies by the members' mean score, movies any member dislikes last.

    Returns (movie ID, mean score) pairs for the movies every member has a score for.
    """
    if not member_scores:
        return []
    shared = set(member_scores[0]).intersection(*member_scores[1:])
    blended = []
    for movie_id in shared:
        scores = [scores_by_movie[movie_id] for scores_by_movie in member_scores]
        disliked = min(scores) < DISLIKE_SCORE
        blended.append((disliked, -sum(scores) / len(scores), movie_id))
    blended.sort()
    return [(movie_id, -negative_mean) for _, negative_mean, movie_id in blended[:limit]]


def _movie_vectors(ranker: Ranker) -> tuple[dict[int, int], torch.Tensor] | None:
    trained = ranker.trained
    embedding = getattr(getattr(trained, "model", None), "movie_embedding", None)
    if trained is None or embedding is None:
        return None
    return ranker.movie_rows, embedding.weight.detach()


def closest_movie(ranker: Ranker, movie_id: int, candidates: Sequence[int]) -> int | None:
    """Return the candidate whose movie embedding is closest (cosine) to ``movie_id``'s.

    Returns ``None`` without a trained model or when the model has no row for the movie
    or for any candidate.
    """
    vectors = _movie_vectors(ranker)
    if vectors is None:
        return None
    rows, weight = vectors
    known = [candidate for candidate in candidates if candidate in rows and candidate != movie_id]
    if movie_id not in rows or not known:
        return None
    with torch.inference_mode():
        target = weight[rows[movie_id]].unsqueeze(0)
        others = weight[[rows[candidate] for candidate in known]]
        similarity = torch.nn.functional.cosine_similarity(others, target, dim=1)
    return known[int(similarity.argmax())]
