"""The annotation files gloss reads, apart from the library: reading a file (bounded in
bytes and nesting depth, JSON without NaN, huge integers or lone surrogates), the checks of
one field (strings, ids, whole numbers, lists, clock stamps), the checks that turn one gloss
JSON entry into a row (a note revision, an event) or an anchor, and finding the annotations
and the quote anchor of W3C Web Annotation JSON-LD. store.notes.exchange finds the articles
and attaches the checked entries to them."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from pathlib import Path
from typing import Any

from store.core import hlc
from store.core.errors import GlossError, ImportFailed
from store.core.files import read_bounded
from store.core.models import Anchor
from store.core.sanitize import MAX_TEXT_CHARS, clean, decode, normalise_tag
from store.notes.annotations import MAX_NOTE_CHARS

MAX_DEPTH = 64  # gloss JSON nests 5 deep, W3C about 6
MAX_ID_CHARS = 64
MAX_PARENTS = 256
MAX_CONTEXT_CHARS = 1000  # a quote's prefix or suffix (gloss writes 32)
# An entity correction (store.core.schema: entity_corrections): its kind, and its value, a
# label (built-in or an upper-case word) or a group's canonical name (one line).
CORRECTION_KINDS = ("label", "remove", "alias", "split", "name", "reset")
MAX_LABEL_CHARS = 32
MAX_CORRECTION_VALUE = 200  # a canonical name
CORRECTION_FIELDS = ("correction_id", "pos_start", "pos_end", "exact", "kind", "value", "hlc",
                     "device")  # fmt: skip
_LABEL = re.compile(r"[A-Z][A-Z0-9_]*")


# -- reading the file -----------------------------------------------------------------------


class _NotANumber:
    """What NaN, Infinity and over-long integers parse to: no check accepts it."""

    def __repr__(self) -> str:
        return "a number JSON does not allow"


_NAN = _NotANumber()
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _read(path: Path) -> bytes:
    """The file's bytes: a regular file only (never a FIFO or a device), at most the limit,
    read as every imported file is (store.core.files.read_bounded)."""
    try:
        return read_bounded(path)
    except ImportFailed as exc:
        if str(exc).startswith("not a regular file"):
            raise ImportFailed(f"{path} is not a regular file") from None
        raise ImportFailed(f"cannot read {path}: {exc}") from None


def _depth(text: str) -> int:
    """How deep the brackets nest, outside strings (a few passes in C, no recursion)."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def load(path: Path) -> Any:
    """The file's JSON; ImportFailed if it is not a bounded, well-formed JSON text."""
    text = decode(_read(path), path.name)
    if _depth(text) > MAX_DEPTH:
        raise ImportFailed(f"nested more than {MAX_DEPTH} levels deep")
    try:
        data = json.loads(
            text,
            parse_constant=lambda _: _NAN,
            parse_int=lambda s: int(s) if len(s) <= 20 else _NAN,
        )
    except json.JSONDecodeError as exc:
        raise ImportFailed(f"not JSON (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise ImportFailed(f"not JSON ({type(exc).__name__})") from None
    # JSON may write a lone surrogate (\ud800), which no UTF-8 text can hold and SQLite
    # refuses to store: a file holding one is refused whole, before any entry is read.
    if _SURROGATE.search(text) and _holds_surrogate(data):
        raise ImportFailed("holds an unpaired surrogate (\\ud800-\\udfff), not text")
    return data


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _holds_surrogate(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= c <= "\udfff" for c in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# -- checks ---------------------------------------------------------------------------------


def short(value: object) -> str:
    """A value as an error message quotes it: its repr, cut to 40 characters."""
    return repr(value)[:40]


def str_field(
    value: object, what: str, allow_empty: bool = True, limit: int = MAX_TEXT_CHARS
) -> str:
    """A clean string of at most `limit` characters (empty too, if allowed); GlossError
    saying why not."""
    if not isinstance(value, str) or (not allow_empty and not value):
        raise GlossError(f"{what} must be a string")
    if len(value) > limit:
        raise GlossError(f"{what} is too long ({len(value):,} characters; the limit is {limit:,})")
    if clean(value) != value:
        raise GlossError(f"{what} holds control characters")
    return value


def id_field(value: object, what: str) -> str:
    """A non-empty clean string of at most MAX_ID_CHARS; GlossError if not."""
    return str_field(value, what, allow_empty=False, limit=MAX_ID_CHARS)


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise GlossError(f"{what} must be a whole number, not {short(value)}")
    return value


def list_field(value: object, what: str) -> list:
    """A list (None: an empty one); GlossError if not."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise GlossError(f"{what} must be a list")
    return value


def _stamp(value: object, what: str) -> str:
    stamp = str_field(value, what, allow_empty=False, limit=MAX_ID_CHARS + 20)
    try:
        ahead = hlc.too_far_ahead(stamp)
    except ValueError:
        raise GlossError(f"{what} {short(stamp)} is not a clock stamp") from None
    if ahead:
        raise GlossError(f"{what} {stamp[:13]} is more than a day ahead of this machine's clock")
    return stamp


def event_row(e: object, aid: str) -> tuple:
    """A gloss JSON event as its row (event_id, aid, field, 0 or 1, hlc, device)."""
    if not isinstance(e, dict):
        raise GlossError("not an object")
    field_name = str_field(e.get("field"), "field", False, limit=200)
    if field_name.startswith("tag:"):
        normalise_tag(field_name[4:])
    elif field_name not in ("read", "starred"):
        raise GlossError(f"unknown field {field_name[:40]!r}")
    value = e.get("value")
    value = _int(value, "value") if not isinstance(value, bool) else int(value)
    return (id_field(e.get("event_id"), "event_id"), aid, field_name, 1 if value else 0,
            _stamp(e.get("hlc"), "hlc"), id_field(e.get("device"), "device"))  # fmt: skip


def revision_row(r: object, text: str) -> tuple:
    """A gloss JSON note revision as its row (without its article), its passage checked
    against the article's `text`."""
    if not isinstance(r, dict):
        raise GlossError("not an object")
    rev_id = id_field(r.get("rev_id"), "rev_id")
    parents = [id_field(p, "a parent") for p in list_field(r.get("parents"), "parents")]
    if len(parents) > MAX_PARENTS or rev_id in parents:
        raise GlossError("parents must be other revisions")
    ps, pe = r.get("pos_start"), r.get("pos_end")
    exact = None if r.get("exact") is None else str_field(r.get("exact"), "exact")
    if ps is not None or pe is not None:
        ps, pe = _int(ps, "pos_start"), _int(pe, "pos_end")
        if not 0 <= ps < pe <= len(text):
            raise GlossError("passage outside the article")
        if text[ps:pe] != exact:
            raise GlossError("quote does not match the article text")
    deleted = r.get("deleted")
    if deleted is not None and not isinstance(deleted, (bool, int)):
        raise GlossError("deleted must be true or false")
    opt = [
        None if r.get(k) is None else str_field(r.get(k), k, limit=MAX_CONTEXT_CHARS)
        for k in ("prefix", "suffix")
    ]
    return (
        rev_id, id_field(r.get("note_id"), "note_id"), json.dumps(sorted(parents)), ps, pe, exact,
        *opt, str_field(r.get("body"), "body", limit=MAX_NOTE_CHARS), 1 if deleted else 0,
        _stamp(r.get("hlc"), "hlc"), id_field(r.get("device"), "device"),
    )  # fmt: skip


def correction_problem(kind: object, value: object) -> str | None:
    """Why (kind, value) is not an entity correction gloss writes (None: it is one): a kind
    of CORRECTION_KINDS; a label for `label` (built-in, or an upper-case word of at most
    MAX_LABEL_CHARS); a name for `alias` and `name` (clean, one line, at most
    MAX_CORRECTION_VALUE characters); no value for the others."""
    if kind not in CORRECTION_KINDS:
        return f"kind {short(kind)} is not one of {', '.join(CORRECTION_KINDS)}"
    if kind in ("remove", "split", "reset"):
        return None if value is None else f"a {kind} correction has no value"
    if not isinstance(value, str) or not value:
        return f"a {kind} correction needs a value"
    if kind == "label":
        if len(value) > MAX_LABEL_CHARS or not _LABEL.fullmatch(value):
            return f"label {short(value)} is not an upper-case word"
        return None
    if len(value) > MAX_CORRECTION_VALUE:
        return f"a name is at most {MAX_CORRECTION_VALUE} characters"
    if clean(value) != value or "\n" in value or "\t" in value or value.strip() != value:
        return "a name is one line of clean text"
    return None


def correction_row(c: object, text: str) -> tuple:
    """A gloss JSON entity correction as its row (without its article, in CORRECTION_FIELDS'
    order), its span checked against the article's `text`."""
    if not isinstance(c, dict):
        raise GlossError("not an object")
    cid = id_field(c.get("correction_id"), "correction_id")
    start, end = _int(c.get("pos_start"), "pos_start"), _int(c.get("pos_end"), "pos_end")
    exact = str_field(c.get("exact"), "exact", False)
    if not 0 <= start < end <= len(text):
        raise GlossError("span outside the article")
    if text[start:end] != exact:
        raise GlossError("quote does not match the article text")
    kind, value = c.get("kind"), c.get("value")
    why = correction_problem(kind, value)
    if why is not None:
        raise GlossError(why)
    return (cid, start, end, exact, kind, value, _stamp(c.get("hlc"), "hlc"),
            id_field(c.get("device"), "device"))  # fmt: skip


def anchor_from(a: object) -> Anchor:
    """A gloss JSON anchor object (start, end, exact, prefix, suffix) as an Anchor."""
    if not isinstance(a, dict):
        raise GlossError("anchor must be an object")
    start, end = a.get("start", -1), a.get("end", -1)
    return Anchor(
        _int(start, "start"), _int(end, "end"), str_field(a.get("exact"), "exact", False),
        str_field(a.get("prefix") or "", "prefix", limit=MAX_CONTEXT_CHARS),
        str_field(a.get("suffix") or "", "suffix", limit=MAX_CONTEXT_CHARS),
    )  # fmt: skip


# -- W3C Web Annotation ---------------------------------------------------------------------


def w3c_items(data: Any) -> list:
    """The annotations in a W3C Annotation, AnnotationPage, AnnotationCollection (its first
    page) or list; [] for anything else."""
    if isinstance(data, dict):
        kind = data.get("type")
        if kind == "Annotation":
            return [data]
        if kind == "AnnotationCollection":
            first = data.get("first")
            data = first.get("items") if isinstance(first, dict) else None
        elif kind == "AnnotationPage":
            data = data.get("items")
    return data if isinstance(data, list) else []


def w3c_anchor(target: Any) -> Anchor | None:
    """The Anchor of a W3C target's TextQuoteSelector (and TextPositionSelector); None
    when it has neither (a note on the whole article)."""
    if not isinstance(target, dict):
        return None
    selectors = target.get("selector") or []
    kinds = {s.get("type"): s for s in reversed(selectors if isinstance(selectors, list)
             else [selectors]) if isinstance(s, dict)}  # fmt: skip
    quote, pos = kinds.get("TextQuoteSelector"), kinds.get("TextPositionSelector")
    if quote is None and pos is not None:
        raise GlossError("a TextPositionSelector without a TextQuoteSelector cannot be anchored")
    if quote is None:
        return None
    return anchor_from({
        "start": pos.get("start") if pos else -1, "end": pos.get("end") if pos else -1,
        "exact": quote.get("exact"), "prefix": quote.get("prefix"), "suffix": quote.get("suffix"),
    })  # fmt: skip
