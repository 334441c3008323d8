"""What every importer produces, and the builder that lays paragraphs out with offsets."""

from __future__ import annotations

from dataclasses import dataclass, field

from store.core.errors import ImportFailed
from store.core.models import Section
from store.core.sanitize import check_length, clean, clean_line

MAX_FALLBACK_TITLE = 120  # characters of the first line kept when it has to be the title


MAX_TITLE_CHARS = 500  # a title is one line of a list: a longer one is cut, with a warning


@dataclass
class Parsed:
    """An article as read from a file, before it has an id or entities."""

    title: str
    text: str
    sections: list[Section]
    paragraphs: list[tuple[int, int]]
    byline: str | None = None
    published: str | None = None
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    saved: str | None = None  # when the user saved it elsewhere (an export): its imported_at
    # Things the reader of the import report should know (a short page, a bad date field);
    # the article is imported all the same.
    warnings: list[str] = field(default_factory=list)


class TextBuilder:
    """Joins paragraphs with blank lines, remembering where each paragraph and heading sits."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._len = 0
        self.sections: list[Section] = []
        self.paragraphs: list[tuple[int, int]] = []

    def _add(self, text: str) -> tuple[int, int]:
        if self._parts:
            self._parts.append("\n\n")
            self._len += 2
        start = self._len
        self._parts.append(text)
        self._len += len(text)
        return start, self._len

    def paragraph(self, text: str) -> None:
        text = clean(text).strip()
        if text:
            self.paragraphs.append(self._add(text))

    def heading(self, text: str, level: int = 2) -> None:
        text = clean_line(text)
        if text:
            start, end = self._add(text)
            self.sections.append(Section(text, start, end, level))

    @property
    def text(self) -> str:
        """The text laid out so far."""
        return "".join(self._parts)

    def first_line(self) -> str:
        """The text's first line, shortened to a title's length: the title of last resort."""
        line = "".join(self._parts[:1]).split("\n", 1)[0].lstrip("•◦▪ ")
        line = clean_line(line)
        if len(line) > MAX_FALLBACK_TITLE:
            cut = line[: MAX_FALLBACK_TITLE + 1].rsplit(" ", 1)[0][:MAX_FALLBACK_TITLE]
            line = cut.rstrip(" ,;:–—-") + "…"
        return line

    def build(self, title: str, **meta: object) -> Parsed:
        """The Parsed article; with no title, the first line of its text is the title."""
        title = clean_line(title)
        text = "".join(self._parts)
        if not text.strip():
            raise ImportFailed("no article text found")
        warnings = list(meta.pop("warnings", None) or [])  # type: ignore[call-overload]
        if not title:
            title = self.first_line() or "(untitled)"
            warnings.append("no title found; the first line of the text is the title")
        elif len(title) > MAX_TITLE_CHARS:
            warnings.append(f"title cut to {MAX_TITLE_CHARS} characters (it had {len(title):,})")
            title = title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
        check_length(text)
        return Parsed(title, text, self.sections, self.paragraphs, warnings=warnings, **meta)  # type: ignore[arg-type]


def clean_meta(value: object) -> str | None:
    """A one-line metadata value, or None when absent or blank."""
    if value is None:
        return None
    text = clean_line(str(value))
    return text or None
