"""Messages shared between screens and widgets; widget-specific ones live in their widget.

Messages in gloss are plain classes with an `__init__`, not dataclasses: making a dataclass
costs about 0.2 ms, and the two dozen of them on the start-up path cost it 4 ms of imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from store.core.models import Article, ImportReport

if TYPE_CHECKING:
    from store.ingest.refresh import RefreshReport
    from store.sync.report import SyncReport


class OpenArticle(Message):
    """Open this article in the reader."""

    def __init__(self, article_id: str) -> None:
        super().__init__()
        self.article_id = article_id


class Walked(Message):
    """Where the reader's walk of queued ] and [ presses landed."""

    def __init__(self, article_id: str) -> None:
        super().__init__()
        self.article_id = article_id


class ArticleLoaded(Message):
    """A reader worker fetched (or re-fetched after an edit) this article."""

    def __init__(self, article: Article, known_tags: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.article = article
        self.known_tags = known_tags
        """Every tag in the library, or None when not fetched with the article."""


class LibraryChanged(Message):
    """Something was written: counts, tags and the list should be fetched again."""


class ImportProgress(Message):
    """`done` of `total` new articles are in; only the latest one matters."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ImportProgress)


class ImportFinished(Message):
    """An import ended; the report says what happened to each file."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__()
        self.report = report


class Notice(Message):
    """A one-line message for the user, shown as a notification (never parsed as markup)."""

    def __init__(self, text: str, severity: str = "information") -> None:
        super().__init__()
        self.text = text
        self.severity = severity


class SyncProgress(Message):
    """`done` of `total` steps of a sync; `name` is the file being merged. Only the latest
    one matters."""

    def __init__(self, done: int, total: int, name: str) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.name = name

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncProgress)


class SyncFinished(Message):
    """A sync with `target` ended; the report says what each peer gave and got."""

    def __init__(self, target: str, report: SyncReport) -> None:
        super().__init__()
        self.target = target
        self.report = report


class RefreshFinished(Message):
    """A refresh of the feeds ended; the report says what each feed brought or why not."""

    def __init__(self, report: RefreshReport) -> None:
        super().__init__()
        self.report = report


class OutsideChange(Message):
    """Another process (the CLI, a sync, another gloss) changed the library file."""
