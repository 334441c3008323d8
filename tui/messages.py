"""Messages shared between screens and widgets; widget-specific ones live in their widget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from store.models import Article, ImportReport

if TYPE_CHECKING:
    from store.refresh import RefreshReport
    from store.sync import SyncReport


@dataclass
class OpenArticle(Message):
    """Open this article in the reader."""

    article_id: str


@dataclass
class ArticleLoaded(Message):
    """A reader worker fetched (or re-fetched after an edit) this article."""

    article: Article
    known_tags: tuple[str, ...] | None = None
    """Every tag in the library, or None when not fetched with the article."""


@dataclass
class LibraryChanged(Message):
    """Something was written: counts, tags and the list should be fetched again."""


@dataclass
class ImportProgress(Message):
    """`done` of `total` new articles are in; only the latest one matters."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ImportProgress)


@dataclass
class ImportFinished(Message):
    """An import ended; the report says what happened to each file."""

    report: ImportReport


@dataclass
class Notice(Message):
    """A one-line message for the user, shown as a notification (never parsed as markup)."""

    text: str
    severity: str = "information"


@dataclass
class SyncProgress(Message):
    """`done` of `total` steps of a sync; `name` is the file being merged. Only the latest
    one matters."""

    done: int
    total: int
    name: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncProgress)


@dataclass
class SyncFinished(Message):
    """A sync with `target` ended; the report says what each peer gave and got."""

    target: str
    report: SyncReport


@dataclass
class RefreshFinished(Message):
    """A refresh of the feeds ended; the report says what each feed brought or why not."""

    report: RefreshReport
