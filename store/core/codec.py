"""Packed per-(article, model) entity and sentence spans (schema 5).

Entities blob (format 1):
    byte 0      format version (1)
    varint      n_extra  -- labels not in BUILTIN_LABELS, then each as varint length + UTF-8
    varint      n        -- entity count
    n varints   start deltas  (start - previous start; entities sorted by (start, end))
    n varints   lengths       (end - start)
    n bytes     label codes   (index into BUILTIN_LABELS + extras; < 256 labels per blob)
Sentences blob (format 1):
    byte 0      format version (1)
    varint      n
    n varints   gaps     (start - previous end, zigzag-coded: an overlap is negative)
    n varints   lengths  (end - start)
Offsets are code-point offsets into the article text (Python str indices); an entity's
text is text[start:end]. Columnar layout: the decode is three tight loops.
"""

from __future__ import annotations

from collections.abc import Iterable

# Fixed and append-only: a code is global, so blobs copy between peers unchanged.
BUILTIN_LABELS = (
    "PERSON",
    "NORP",
    "FAC",
    "ORG",
    "GPE",
    "LOC",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
    "DATE",
    "TIME",
    "PERCENT",
    "MONEY",
    "QUANTITY",
    "ORDINAL",
    "CARDINAL",
)
_CODE = {name: i for i, name in enumerate(BUILTIN_LABELS)}
FORMAT = 1


def _varints(out: bytearray, values: Iterable[int]) -> None:
    for v in values:
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)


MAX_VARINT_BYTES = 5  # 35 bits: far past any offset into an article (MAX_TEXT_CHARS)


def _read(buf: bytes, pos: int, n: int) -> tuple[list[int], int]:
    """n varints from buf[pos:]; the common one-byte case is one comparison. A blob is
    untrusted (a sync peer's): ValueError for a count past its bytes, a varint longer than
    MAX_VARINT_BYTES (an endless one cost quadratic time) or a truncated one."""
    if n > len(buf) - pos:  # every varint takes at least one byte
        raise ValueError(f"{n} values claimed in {len(buf) - pos} bytes")
    out = []
    append = out.append
    try:
        for _ in range(n):
            b = buf[pos]
            pos += 1
            if b < 0x80:
                append(b)
                continue
            v, shift = b & 0x7F, 7
            while True:
                b = buf[pos]
                pos += 1
                v |= (b & 0x7F) << shift
                if b < 0x80:
                    break
                shift += 7
                if shift >= 7 * MAX_VARINT_BYTES:
                    raise ValueError("a varint longer than 5 bytes")
            append(v)
    except IndexError:
        raise ValueError("truncated") from None
    return out, pos


def _one(buf: bytes, pos: int) -> tuple[int, int]:
    v, pos = _read(buf, pos, 1)
    return v[0], pos


def pack_entities(ents: Iterable[tuple[int, int, str]]) -> bytes:
    """ents: iterable of (start, end, label)."""
    ents = sorted(ents)
    extras: list[str] = []
    codes = []
    for _, _, label in ents:
        c = _CODE.get(label)
        if c is None:
            if label not in extras:
                extras.append(label)
            c = len(BUILTIN_LABELS) + extras.index(label)
        codes.append(c)
    if len(BUILTIN_LABELS) + len(extras) > 256:
        raise ValueError("too many distinct labels in one analysis")
    out = bytearray([FORMAT])
    _varints(out, [len(extras)])
    for label in extras:
        raw = label.encode()
        _varints(out, [len(raw)])
        out += raw
    _varints(out, [len(ents)])
    prev = 0
    deltas = []
    for s, _, _ in ents:
        deltas.append(s - prev)
        prev = s
    _varints(out, deltas)
    _varints(out, [e - s for s, e, _ in ents])
    out += bytes(codes)
    return bytes(out)


def unpack_entities(buf: bytes) -> list[tuple[int, int, str]]:
    """[(start, end, label)] in (start, end) order."""
    if not buf:
        raise ValueError("empty")
    if buf[0] != FORMAT:
        raise ValueError(f"unknown entities format {buf[0]}")
    n_extra, pos = _one(buf, 1)
    if len(BUILTIN_LABELS) + n_extra > 256:
        raise ValueError(f"{n_extra} extra labels")
    labels = list(BUILTIN_LABELS)
    for _ in range(n_extra):
        ln, pos = _one(buf, pos)
        if ln > len(buf) - pos:
            raise ValueError("truncated label")
        labels.append(buf[pos : pos + ln].decode())
        pos += ln
    n, pos = _one(buf, pos)
    deltas, pos = _read(buf, pos, n)
    lengths, pos = _read(buf, pos, n)
    codes = buf[pos : pos + n]
    if len(codes) != n or (n and max(codes) >= len(labels)):
        raise ValueError("label codes missing or out of range")
    out = []
    s = 0
    for d, ln, c in zip(deltas, lengths, codes, strict=True):
        s += d
        out.append((s, s + ln, labels[c]))
    return out


def pack_sentences(sents: Iterable[tuple[int, int]]) -> bytes:
    """sents: iterable of (start, end)."""
    sents = sorted(sents)
    out = bytearray([FORMAT])
    _varints(out, [len(sents)])
    prev = 0
    gaps = []
    for s, e in sents:
        g = s - prev
        gaps.append(2 * g if g >= 0 else -2 * g - 1)
        prev = e
    _varints(out, gaps)
    _varints(out, [e - s for s, e in sents])
    return bytes(out)


def unpack_sentences(buf: bytes) -> list[tuple[int, int]]:
    """[(start, end)] in start order."""
    if not buf:
        raise ValueError("empty")
    if buf[0] != FORMAT:
        raise ValueError(f"unknown sentences format {buf[0]}")
    n, pos = _one(buf, 1)
    gaps, pos = _read(buf, pos, n)
    lengths, pos = _read(buf, pos, n)
    out = []
    e = 0
    for g, ln in zip(gaps, lengths, strict=True):
        s = e + (g >> 1 if not g & 1 else -((g + 1) >> 1))
        e = s + ln
        out.append((s, e))
    return out
