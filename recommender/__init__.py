"""SimpleRec, a small PyTorch recommender: data, dataset, model, training and ranking.

Nothing here imports Telegram or the bot, so the package can be used and tested alone.
"""

from recommender.data import IndexedRatings, RatingScale, demo_ratings, user_item_matrix
from recommender.dataset import RecDataset
from recommender.model import ModelConfig, SimpleRec
from recommender.ranking import Ranker, ScoredMovie, average_rating_scores
from recommender.training import TrainConfig, TrainingError, TrainResult, train

__all__ = [
    "IndexedRatings",
    "ModelConfig",
    "Ranker",
    "RatingScale",
    "RecDataset",
    "ScoredMovie",
    "SimpleRec",
    "TrainConfig",
    "TrainResult",
    "TrainingError",
    "average_rating_scores",
    "demo_ratings",
    "train",
    "user_item_matrix",
]
