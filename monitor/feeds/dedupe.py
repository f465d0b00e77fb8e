"""Near-duplicate detection across outlets: MinHash signatures with LSH band hashes in the database."""
from __future__ import annotations

import hashlib
import re

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 32 bands x 4 rows: candidates from a Jaccard of about 0.42 upward
SHINGLE_WORDS = 3
SIMILARITY_THRESHOLD = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)
_SEED = 1
_EMPTY = MinHash(num_perm=NUM_PERM, seed=_SEED)


def shingles(text: str) -> set[bytes]:
    """Word 3-grams of the lower-cased text (single words for very short texts)."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return {w.encode("utf-8") for w in words}
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode("utf-8") for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> MinHash | None:
    """MinHash of a text, or None when it has no words."""
    grams = shingles(text)
    if not grams:
        return None
    # a copy of an empty signature: the permutations follow from the seed and are computed once, not per text
    minhash = _EMPTY.copy()
    minhash.update_batch(list(grams))
    return minhash


def to_bytes(minhash: MinHash) -> bytes:
    """Signature as bytes for storage."""
    return hash_values(minhash).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """Stored signature as its hash values."""
    return np.frombuffer(data, dtype=np.uint64)


def band_hashes(minhash: MinHash) -> list[str]:
    """One short hash per LSH band; two texts sharing any band hash are candidates."""
    values = hash_values(minhash)
    return [hashlib.sha1(values[b * ROWS : (b + 1) * ROWS].tobytes()).hexdigest() for b in range(BANDS)]


def hash_values(minhash: MinHash) -> np.ndarray:
    """A signature's hash values as stored (see `to_bytes`)."""
    return minhash.hashvalues.astype(np.uint64)


def similarity(a: MinHash | np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two texts: the share of equal MinHash values."""
    return float(np.mean((hash_values(a) if isinstance(a, MinHash) else a) == b))
