"""Text likeness for matching: protégés' goals against mentors' strengths, and library names.

Goals and strengths are compared by TF-IDF cosine similarity: words are
lower-cased, common words dropped and endings trimmed by a small stemmer,
so "supervising", "supervisor" and "supervision" count as one word. A word
most applications use ("library") counts for little, a rarer one both
people wrote ("grants", "archives") for a lot. Library names are compared
by shared letter pairs, which forgives a typo ("Cambell" for "Campbell").
Everything here is deterministic: same texts in, same numbers out.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

# scipy.sparse is imported where a matrix is built, not here: it adds some 20 MB to every
# process that imports this module (the worker, through the digest's wording), and only
# matching needs it.

_WORD = re.compile(r"[a-z][a-z0-9]+")

# Words that say nothing about what a protégé wants or a mentor offers.
_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just like me more most my myself
no nor not now of off on once only or other our ours ourselves out over own same she should so some such
than that the their theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours yourself
yourselves etc via per within across along among really well much many get got make made want wants
wanted hope hoping interested interest would like looking forward able also especially things thing way
ways lot lots help helping learn learning know knowing better good great new year years
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Endings trimmed, longest first; a stem keeps at least three letters.
_SUFFIXES = ("izations", "ization", "ational", "fulness", "ousness", "iveness", "ations", "ation", "ments",
             "ment", "ities", "ity", "ings", "ing", "ions", "ion", "ies", "ers", "ors", "er", "or", "ed",
             "es", "ly", "s", "y", "e")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Trim a common English ending so related forms of a word meet."""
    for suffix in _SUFFIXES:
        # "class" and "access" keep their double s.
        if suffix == "s" and word.endswith("ss"):
            break
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    # "planning" -> "plann" -> "plan": a doubled last letter is an artefact of the ending.
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def terms(text: str | None) -> list[tuple[str, str]]:
    """The (stem, word as written) pairs of a text, stopwords left out, in order."""
    if not text:
        return []
    words = _WORD.findall(text.lower().replace("'", "").replace("\u2019", ""))
    return [(stem(w), w) for w in words if w not in STOPWORDS]


class TfIdf:
    """TF-IDF vectors of two groups of texts over one shared vocabulary.

    The document frequencies come from both groups together, so a word every
    protégé and mentor uses weighs little on either side.
    """

    def __init__(self, left: Sequence[str | None], right: Sequence[str | None]):
        from scipy import sparse

        docs = [terms(t) for t in left] + [terms(t) for t in right]
        vocab: dict[str, int] = {}
        # The first way a stem was written is how it is shown to a coordinator.
        self.surface: list[str] = []
        for doc in docs:
            for s, w in doc:
                if s not in vocab:
                    vocab[s] = len(vocab)
                    self.surface.append(w)
        rows, cols, vals = [], [], []
        for i, doc in enumerate(docs):
            counts: dict[int, int] = {}
            for s, _ in doc:
                j = vocab[s]
                counts[j] = counts.get(j, 0) + 1
            for j in sorted(counts):
                rows.append(i)
                cols.append(j)
                # Sublinear: saying "grants" three times is not three times the interest.
                vals.append(1.0 + math.log(counts[j]))
        n = len(docs)
        tf = sparse.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)), dtype=np.float64)
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=len(vocab)) if cols else np.zeros(0)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        weighted = tf.multiply(idf[np.newaxis, :]).tocsr() if len(vocab) else tf
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        unit = sparse.diags(1.0 / norms) @ weighted
        unit = unit.tocsr()
        self.left = unit[: len(left)]
        self.right = unit[len(left):]
        # Each text's weights as a plain dict, for explaining one pair without sparse-matrix overhead.
        self._rows = [dict(zip(unit.indices[unit.indptr[k]: unit.indptr[k + 1]].tolist(),
                               unit.data[unit.indptr[k]: unit.indptr[k + 1]].tolist(), strict=True))
                      for k in range(n)]
        self._n_left = len(left)

    def cosine(self) -> np.ndarray:
        """Cosine similarity of every left text with every right text (0 where either is empty)."""
        return np.asarray((self.left @ self.right.T).todense(), dtype=np.float64)

    def shared_words(self, i: int, j: int, limit: int = 4) -> list[str]:
        """The words that contribute most to the likeness of left text i and right text j."""
        a, b = self._rows[i], self._rows[self._n_left + j]
        common = [(a[c] * b[c], c) for c in a.keys() & b.keys()]
        ranked = sorted(common, key=lambda p: (-p[0], self.surface[p[1]]))
        return [self.surface[c] for _, c in ranked[:limit]]


def _bigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[k: k + 2] for k in range(len(padded) - 1)}


def name_likeness(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """Dice similarity of letter pairs for every left name with every right name (1.0 = same letters)."""
    grams = [_bigrams(t) for t in left] + [_bigrams(t) for t in right]
    return _dice(grams[: len(left)], grams[len(left):])


def token_containment(left: Sequence[str], right: Sequence[str], min_tokens: int = 2) -> np.ndarray:
    """True where every word of the shorter name (of at least `min_tokens` words) is in the longer one."""
    toks = [set(t.split()) for t in left] + [set(t.split()) for t in right]
    lt, rt = toks[: len(left)], toks[len(left):]
    inter = _intersections(lt, rt)
    la = np.array([len(t) for t in lt], dtype=np.int64)[:, None]
    rb = np.array([len(t) for t in rt], dtype=np.int64)[None, :]
    shorter = np.minimum(la, rb)
    return (inter == shorter) & (shorter >= min_tokens)


def _intersections(left: list[set[str]], right: list[set[str]]) -> np.ndarray:
    from scipy import sparse

    vocab: dict[str, int] = {}
    for s in left + right:
        for g in sorted(s):
            vocab.setdefault(g, len(vocab))

    def matrix(sets: list[set[str]]) -> sparse.csr_matrix:
        rows = [i for i, s in enumerate(sets) for _ in s]
        cols = [vocab[g] for s in sets for g in s]
        return sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(sets), max(len(vocab), 1)))

    if not left or not right:
        return np.zeros((len(left), len(right)), dtype=np.int64)
    return np.rint(np.asarray((matrix(left) @ matrix(right).T).todense())).astype(np.int64)


def _dice(left: list[set[str]], right: list[set[str]]) -> np.ndarray:
    inter = _intersections(left, right)
    la = np.array([len(s) for s in left], dtype=np.float64)[:, None]
    rb = np.array([len(s) for s in right], dtype=np.float64)[None, :]
    total = la + rb
    total[total == 0] = 1.0
    return 2.0 * inter / total
