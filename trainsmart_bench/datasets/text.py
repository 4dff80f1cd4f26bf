"""Text helpers: packed utf-8 storage, a deterministic tokenizer, vocabularies, encoding.

Texts are stored as one concatenated utf-8 ``uint8`` buffer plus ``int64`` offsets (text ``i``
is ``buffer[offsets[i]:offsets[i + 1]]``), so that ``np.savez`` writes them without pickle and
without the memory of fixed-width unicode arrays.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from trainsmart_bench.errors import ConfigError

PAD = 0  # index of padding in encoded sequences
OOV = 1  # index of every word outside the vocabulary
RESERVED = 2  # the first word of a vocabulary gets this index

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# runs of letters/digits (any script), joined by inner apostrophes: "don't", "rock'n'roll"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def pack(chunks: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate byte strings into a ``uint8`` buffer and ``int64`` offsets (len + 1)."""
    offsets = np.zeros(len(chunks) + 1, np.int64)
    np.cumsum([len(c) for c in chunks], out=offsets[1:])
    buffer = np.frombuffer(b"".join(chunks), np.uint8).copy()
    return buffer, offsets


def unpack(buffer: np.ndarray, offsets: np.ndarray) -> list[str]:
    """The texts of a packed buffer, decoded as utf-8."""
    raw = buffer.tobytes()
    bounds = offsets.tolist()
    return [raw[a:b].decode("utf-8") for a, b in zip(bounds[:-1], bounds[1:])]


def tokenize(text: str) -> list[str]:
    """Lowercase, drop ``<br />`` tags, and return the word tokens (apostrophes kept inside)."""
    text = text.lower().replace("<br />", " ")
    if "<br" in text:
        text = _BREAK.sub(" ", text)
    return _WORD.findall(text)


def tokenize_all(texts: Iterable[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


def vocab_from_tokens(token_lists: Iterable[list[str]], num_words: int) -> dict[str, int]:
    """The ``num_words - 2`` most frequent tokens, indexed from 2 (0 = padding, 1 = OOV).

    Ties in count are broken alphabetically, so the vocabulary depends only on the texts.
    Every index is ``< num_words``, which is therefore the embedding table size.
    """
    if num_words <= RESERVED:
        raise ConfigError(f"num_words={num_words}: must be > {RESERVED} (0 = pad, 1 = OOV)")
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: num_words - RESERVED]
    return {word: i for i, (word, _) in enumerate(ranked, start=RESERVED)}


def build_vocab(train_texts: Iterable[str], num_words: int) -> dict[str, int]:
    """Vocabulary of the training texts only (see ``vocab_from_tokens``)."""
    return vocab_from_tokens(tokenize_all(train_texts), num_words)


def encode_tokens(
    token_lists: Sequence[list[str]], vocab: dict[str, int], maxlen: int
) -> np.ndarray:
    """``int32`` array (n, maxlen): the first ``maxlen`` tokens, padded with 0 at the end."""
    if maxlen < 1:
        raise ConfigError(f"maxlen={maxlen}: must be >= 1")
    out = np.full((len(token_lists), maxlen), PAD, np.int32)
    get = vocab.get
    for row, tokens in enumerate(token_lists):
        ids = [get(word, OOV) for word in tokens[:maxlen]]
        out[row, : len(ids)] = ids
    return out


def encode(texts: Iterable[str], vocab: dict[str, int], maxlen: int) -> np.ndarray:
    """Tokenize and encode ``texts`` to a fixed-length ``int32`` array (truncate/pad at the end)."""
    return encode_tokens(tokenize_all(texts), vocab, maxlen)
