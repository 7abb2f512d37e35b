"""Dense retrieval over a pack's knowledge base with the MiniLM encoder.

Each article is split into passages (title + passage text); a query is scored by cosine
similarity, with a small boost for passages of the article of the predicted intent (the
classifier knows the domain better than a short query does). Returns :class:`Citation`s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from warmline.model.analysis import Citation
from warmline.packs import Pack

INTENT_BOOST = 0.15


@dataclass(frozen=True)
class Passage:
    article_id: str
    title: str
    text: str
    flow: str | None
    subflow: str | None


def passages_of(pack: Pack) -> list[Passage]:
    return [
        Passage(article.id, article.title, text, article.flow, article.subflow)
        for article in pack.articles
        for text in article.passages
        if len(text.split()) >= 4
    ]


def passage_texts(pack: Pack) -> list[str]:
    return [f"{p.title}. {p.text}" for p in passages_of(pack)]


class KnowledgeIndex:
    def __init__(
        self, pack: Pack, embed: Callable[[Sequence[str]], np.ndarray], vectors: np.ndarray | None = None
    ) -> None:
        self._embed = embed
        self.passages = passages_of(pack)
        texts = [f"{p.title}. {p.text}" for p in self.passages]
        if vectors is not None and len(vectors) == len(texts):
            self.vectors = vectors
        else:
            self.vectors = embed(texts) if texts else np.zeros((0, 384), dtype=np.float32)

    def search(
        self, query: str, k: int = 3, *, vector: np.ndarray | None = None, intent: tuple[str, str | None] | None = None
    ) -> list[Citation]:
        if not self.passages:
            return []
        if vector is None:
            vector = self._embed([query])[0]
        scores = self.vectors @ vector
        if intent is not None:
            boost = np.array([INTENT_BOOST if (p.flow, p.subflow) == intent else 0.0 for p in self.passages])
            scores = scores + boost
        top = np.argsort(-scores)[:k]
        return [
            Citation(
                article_id=self.passages[i].article_id,
                title=self.passages[i].title,
                passage=self.passages[i].text,
                score=round(float(min(1.0, max(0.0, scores[i]))), 4),
            )
            for i in top
        ]
