"""The typed values the store hands out: no rows, no cursors.

The immutable values are NamedTuples, the two mutable reports dataclasses. A NamedTuple
class costs a tenth of a frozen dataclass to define (the eight here cost start-up 4 ms as
dataclasses) and its instances are cheaper to make, which matters for the thousands of
entities and sentences of a long article. Use `_replace` and `_asdict` on them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple


class Section(NamedTuple):
    """A heading inside an article's text: text[start:end] is the heading line."""

    title: str
    start: int
    end: int
    level: int = 2


class Entity(NamedTuple):
    """A named entity mention: text[start:end], with its label (the model's, or the
    reader's correction), the canonical name of its group (the entity it names within the
    article) and the group's index (groups in order of first mention; -1: not grouped)."""

    start: int
    end: int
    label: str
    text: str
    canonical: str = ""
    group: int = -1


class Sentence(NamedTuple):
    start: int
    end: int


class Anchor(NamedTuple):
    """Where a note sits: a TextPositionSelector (start/end) plus a TextQuoteSelector."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str

    CONTEXT = 32

    @classmethod
    def from_range(cls, text: str, start: int, end: int) -> Anchor:
        """Anchor text[start:end] with 32 characters of context each side."""
        c = cls.CONTEXT
        return cls(
            start, end, text[start:end], text[max(0, start - c) : start], text[end : end + c]
        )


class Note(NamedTuple):
    """The current state of one note (or highlight, when body is empty)."""

    id: str
    article_id: str
    body: str
    anchor: Anchor | None
    created: str
    updated: str
    revision: str
    conflict: bool = False
    versions: tuple[str, ...] = ()  # bodies of every live head when in conflict
    orphan: Anchor | None = None  # the quote it had, when a new version lost the passage

    @property
    def is_highlight(self) -> bool:
        return (self.anchor is not None or self.orphan is not None) and not self.body

    def to_json(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "article_id": self.article_id,
            "kind": "highlight" if self.is_highlight else "note",
            "body": self.body,
            "anchor": self.anchor._asdict() if self.anchor else None,
            "created": self.created,
            "updated": self.updated,
            "conflict": self.conflict,
        }
        if self.conflict:
            data["versions"] = list(self.versions)
        if self.orphan is not None:
            data["orphaned_quote"] = self.orphan.exact
        return data


class ArticleSummary(NamedTuple):
    """One row of the article list: everything but the text."""

    id: str
    title: str
    byline: str | None
    source: str | None
    published: str | None
    imported_at: str
    read: bool
    starred: bool
    notes: int
    highlights: int
    tags: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        data = self._asdict()
        data["tags"] = list(self.tags)
        return data


class Article(NamedTuple):
    """One article with everything the reader shows."""

    summary: ArticleSummary
    text: str
    sections: tuple[Section, ...]
    paragraphs: tuple[tuple[int, int], ...]
    entities: tuple[Entity, ...]
    sentences: tuple[Sentence, ...]
    notes: tuple[Note, ...]
    model: str | None

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def title(self) -> str:
        return self.summary.title

    def to_json(self) -> dict[str, Any]:
        s = self.summary
        return {
            "id": s.id,
            "title": s.title,
            "byline": s.byline,
            "published": s.published,
            "source": s.source,
            "imported_at": s.imported_at,
            "text": self.text,
            "sections": [x._asdict() for x in self.sections],
            "tags": list(s.tags),
            "read": s.read,
            "starred": s.starred,
            "model": self.model,
            "entities": [e._asdict() for e in self.entities],
            "notes": [n.to_json() for n in self.notes],
        }


class Filter(NamedTuple):
    """Which articles: the one filter value of listing, counting, stepping through the list,
    and export selection (a library view in the TUI is one). The default is every current
    article; fields combine with AND."""

    tag: str | None = None  # this tag or one nested under it ("world" takes "world/asia")
    unread: bool = False
    starred: bool = False
    annotated: bool = False  # with notes or highlights
    title: str | None = None  # a substring of the title, ignoring case
    feed: str | None = None  # a feed id: articles that feed brought
    links: bool = False  # saved links only (articles known by their URL, not fetched yet)
    sort: str = ""  # the list's order (store.find.reading.SORTS); "" is newest import first

    def __bool__(self) -> bool:
        return any(self)


class EntityCount(NamedTuple):
    """An entity across the library or one article: how often it is mentioned."""

    text: str
    label: str
    count: int
    articles: int = 1

    def to_json(self) -> dict[str, Any]:
        return self._asdict()


@dataclass
class FileResult:
    """What happened to one file of an import."""

    path: str
    status: str  # "imported" | "present" | "failed"
    article_id: str | None = None
    title: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportReport:
    """The outcome of one import: a result per file, plus warnings (e.g. no model)."""

    results: list[FileResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # files of other types found while walking folders
    stopped: bool = False  # ended early (asked to stop): results "stopped" were not imported

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def to_json(self) -> dict[str, Any]:
        return {
            "imported": self.count("imported"),
            "present": self.count("present"),
            "failed": self.count("failed"),
            "skipped": self.skipped,
            "warnings": self.warnings,
            "files": [r.to_json() for r in self.results],
        }
