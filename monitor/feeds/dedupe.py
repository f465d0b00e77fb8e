"""Near-duplicate detection across outlets: MinHash signatures with LSH band hashes in the database.

Signatures are datasketch's MinHash (128 permutations, seed 1, its "affine32" scheme: the SHA-1
based 32-bit hash of each word 3-gram, MurmurHash3-finalised, then a_k * h + b_k mod 2^32), computed
for all texts of a document in one numpy pass; the permutations are datasketch's own, and a test
holds the values equal to `datasketch.MinHash`. Stored signatures were made this way, so it must not
change without recomputing them. The same holds for the band keys (`band_keys`), which migration 0016
computed for the articles stored before it.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 32 bands x 4 rows: candidates from a Jaccard of about 0.42 upward
SHINGLE_WORDS = 3
SIMILARITY_THRESHOLD = 0.5
SCHEME = "affine32"
_WORD = re.compile(r"\w+", re.UNICODE)
_SEED = 1
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=SCHEME).permutations.astype(np.uint32)
# MurmurHash3's 32-bit finaliser, as datasketch applies it before the affine permutations
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
# MurmurHash3's 64-bit finaliser (shift, multiplier twice, then a last shift) and SplitMix64's increment
_FMIX64 = ((np.uint64(33), np.uint64(0xFF51AFD7ED558CCD)), (np.uint64(33), np.uint64(0xC4CEB93FE53EF3FB)))
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_STORED_DTYPE = np.uint64  # signatures are stored and compared as 128 uint64 values (1 KiB)


def shingles(text: str) -> set[bytes]:
    """Word 3-grams of the lower-cased text (single words for very short texts)."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return {w.encode("utf-8") for w in words}
    grams = zip(*(words[start:] for start in range(SHINGLE_WORDS)), strict=False)  # stops at the last full 3-gram
    return {" ".join(gram).encode("utf-8") for gram in grams}


def _fmix32(values: np.ndarray) -> np.ndarray:
    shift1, multiplier1, shift2, multiplier2, shift3 = _FMIX
    values = (values ^ (values >> shift1)) * multiplier1
    values = (values ^ (values >> shift2)) * multiplier2
    return values ^ (values >> shift3)


def signatures(texts: Sequence[str]) -> list[np.ndarray | None]:
    """The MinHash values of each text (as stored), None for a text without words; one numpy pass for all."""
    grams = [shingles(text) for text in texts]
    # datasketch's sha1_hash32: the first 4 bytes of SHA-1, read little-endian
    sha1 = hashlib.sha1
    hashes = b"".join([sha1(gram).digest()[:4] for item in grams for gram in item])
    result: list[np.ndarray | None] = [None] * len(texts)
    if not hashes:
        return result
    mixed = _fmix32(np.frombuffer(hashes, dtype="<u4").astype(np.uint32))
    permuted = mixed[:, None] * _PERMUTATIONS[0] + _PERMUTATIONS[1]  # uint32: wraps around, i.e. mod 2^32
    sizes = np.array([len(item) for item in grams])
    with_words = np.flatnonzero(sizes)
    starts = (np.cumsum(sizes) - sizes)[with_words]
    minima = np.minimum.reduceat(permuted, starts, axis=0).astype(_STORED_DTYPE)
    for row, index in enumerate(with_words):
        result[index] = minima[row]
    return result


def signature(text: str) -> np.ndarray | None:
    """MinHash values of one text, or None when it has no words."""
    return signatures([text])[0]


def to_bytes(values: np.ndarray) -> bytes:
    """Signature as bytes for storage."""
    return values.astype(_STORED_DTYPE).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """Stored signature as its hash values."""
    return np.frombuffer(data, dtype=_STORED_DTYPE)


def band_keys(values: np.ndarray) -> np.ndarray:
    """One signed 64-bit key per LSH band of each signature ((n, NUM_PERM) stored values -> (n, BANDS) int64);
    two texts sharing any key are candidates.

    Each band's values (32-bit hashes) are paired into 64-bit words and folded into the band's number with
    MurmurHash3's 64-bit finaliser, all bands of all texts in one numpy pass: an integer key is a quarter
    of a hex string's index space and costs no SHA-1 per band. A collision only adds a candidate, which
    similarity rejects.
    """
    rows = np.asarray(values, dtype=np.uint64).reshape(len(values), BANDS, ROWS)
    words = (rows[:, :, 0::2] << np.uint64(32)) | rows[:, :, 1::2]
    keys = np.broadcast_to(np.arange(BANDS, dtype=np.uint64) * _GOLDEN_GAMMA, words.shape[:2])
    for column in range(words.shape[2]):
        keys = _fmix64(keys ^ words[:, :, column])
    return keys.view(np.int64)


def _fmix64(values: np.ndarray) -> np.ndarray:
    for shift, multiplier in _FMIX64:
        values = (values ^ (values >> shift)) * multiplier
    return values ^ (values >> np.uint64(33))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two texts: the share of equal MinHash values."""
    return float(np.mean(a == b))
