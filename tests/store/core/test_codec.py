"""The packed entity and sentence spans: a round trip for any spans, and a one-line
ValueError (never another exception, never a long computation) for any blob a peer sends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.core import codec

LABELS = st.sampled_from([*codec.BUILTIN_LABELS, "CUSTOM", "ÉTIQUETTE"])
SPAN = st.tuples(st.integers(0, 10**7), st.integers(0, 5000)).map(lambda t: (t[0], t[0] + t[1]))


@given(st.lists(st.tuples(SPAN, LABELS).map(lambda t: (*t[0], t[1])), max_size=300))
def test_entities_round_trip(ents: list[tuple[int, int, str]]) -> None:
    assert codec.unpack_entities(codec.pack_entities(ents)) == sorted(ents)


@given(st.lists(SPAN, max_size=300))
def test_sentences_round_trip(sents: list[tuple[int, int]]) -> None:
    assert codec.unpack_sentences(codec.pack_sentences(sents)) == sorted(sents)


HOSTILE = {
    "empty": b"",
    "unknown format": b"\x07\x00\x00",
    "endless varint": b"\x01" + b"\xff" * 200_000 + b"\x00\x00",
    "count past the bytes": b"\x01\x00\xff\xff\xff\x0f",
    "truncated": b"\x01\x00\x03\x01\x02",
    "too many extra labels": b"\x01\xff\x01",
    "label past the bytes": b"\x01\x01\x7f",
    "label code out of range": b"\x01\x00\x01\x00\x01\xf0",
    "label not UTF-8": b"\x01\x01\x02\xff\xfe\x00",
}


HOSTILE_SENTENCES = {
    "empty": b"",
    "unknown format": b"\x07\x00",
    "endless varint": b"\x01" + b"\xff" * 200_000 + b"\x00",
    "count past the bytes": b"\x01\xff\xff\xff\x0f",
    "truncated": b"\x01\x03\x01\x02\x03",
}


@pytest.mark.parametrize("blob", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_entity_blobs_are_value_errors(blob: bytes) -> None:
    with pytest.raises(ValueError):
        codec.unpack_entities(blob)


@pytest.mark.parametrize("blob", HOSTILE_SENTENCES.values(), ids=HOSTILE_SENTENCES.keys())
def test_hostile_sentence_blobs_are_value_errors(blob: bytes) -> None:
    with pytest.raises(ValueError):
        codec.unpack_sentences(blob)
