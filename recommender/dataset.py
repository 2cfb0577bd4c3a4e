"""``RecDataset``: the rated cells as a torch ``Dataset`` that also serves whole batches."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from recommender.data import IndexedRatings, RatingScale

__all__ = ["RecDataset", "ShuffledBatches", "batch_loader"]


class RecDataset(Dataset):
    """(user row, movie row, target) for each rated cell, with targets scaled to [0, 1].

    Indexing with an integer returns one sample; indexing with a tensor of indices returns a
    whole batch in three tensor lookups, which is how ``batch_loader`` reads it.
    """

    def __init__(self, ratings: IndexedRatings, scale: RatingScale) -> None:
        self.user_rows = ratings.user_rows
        self.movie_rows = ratings.movie_rows
        self.targets = scale.to_target(ratings.ratings).clamp(0.0, 1.0)

    def subset(self, indices: torch.Tensor) -> RecDataset:
        """Return the samples at ``indices`` as a new dataset that shares no storage."""
        part = object.__new__(RecDataset)
        part.user_rows = self.user_rows[indices]
        part.movie_rows = self.movie_rows[indices]
        part.targets = self.targets[indices]
        return part

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def __getitem__(self, index: int | slice | torch.Tensor):
        return self.user_rows[index], self.movie_rows[index], self.targets[index]


class ShuffledBatches(Sampler[torch.Tensor]):
    """Yield one index tensor per batch from a fresh permutation each epoch."""

    def __init__(self, size: int, batch_size: int, generator: torch.Generator) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.size = size
        self.batch_size = batch_size
        self.generator = generator

    def __iter__(self) -> Iterator[torch.Tensor]:
        yield from torch.randperm(self.size, generator=self.generator).split(self.batch_size)

    def __len__(self) -> int:
        return -(-self.size // self.batch_size)


def batch_loader(dataset: RecDataset, batch_size: int, generator: torch.Generator) -> DataLoader:
    """Build a ``DataLoader`` that fetches each shuffled batch with one indexing call.

    ``batch_size=None`` turns off per-sample collation: every item the sampler yields is a
    whole batch of indices. The loader runs in the calling process (no worker processes).
    """
    sampler = ShuffledBatches(len(dataset), batch_size, generator)
    return DataLoader(dataset, batch_size=None, sampler=sampler)
