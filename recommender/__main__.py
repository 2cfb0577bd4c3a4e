"""Train SimpleRec on the demo ratings and print one user's predicted scores.

python -m recommender [--epochs N] [--user ID] [--hidden-dim N] [--seed N]
"""

from __future__ import annotations

import argparse
import sys

from recommender.data import (
    DEMO_MOVIE_IDS,
    IndexedRatings,
    RatingScale,
    demo_ratings,
    user_item_matrix,
)
from recommender.model import ModelConfig
from recommender.ranking import Ranker, average_rating_scores
from recommender.training import TrainConfig, train


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    model_defaults = ModelConfig()
    parser = argparse.ArgumentParser(
        prog="python -m recommender",
        description="Train SimpleRec on the demo ratings and print one user's scores.",
    )
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="training epochs")
    parser.add_argument("--user", type=int, default=1, help="user ID to score (1-5)")
    parser.add_argument(
        "--hidden-dim",
        type=int,
        default=model_defaults.hidden_dim,
        help="hidden layer width; 0 gives the single-layer form",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ratings = demo_ratings()
    matrix = user_item_matrix(ratings, DEMO_MOVIE_IDS)
    if args.user not in matrix.index:
        known = ", ".join(str(user) for user in matrix.index)
        print(f"error: unknown user {args.user}; expected one of {known}", file=sys.stderr)
        return 2

    try:
        model_config = ModelConfig(hidden_dim=args.hidden_dim)
        train_config = TrainConfig(epochs=args.epochs, seed=args.seed)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    scale = RatingScale()
    print("Training...")
    trained = train(
        IndexedRatings.from_matrix(matrix),
        scale,
        model_config,
        train_config,
        on_epoch=lambda epoch, loss: print(f"Epoch {epoch}, loss = {loss:.4f}"),
    )

    ranker = Ranker(trained, average_rating_scores(ratings, scale))
    print(f"Predicted scores for user #{args.user}:")
    for scored in ranker.score(args.user, list(matrix.columns)):
        print(f"Movie #{scored.movie_id}: {scored.score:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
