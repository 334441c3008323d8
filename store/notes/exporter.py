"""`lib.export`: choosing the articles to export, then writing them as gloss JSON, W3C
annotations, CSV, Markdown files or a notes vault kept up to date (store.notes.export and
store.notes.vault, which this one joins: neither imports the other's caller)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core.models import Filter
from store.find import reading
from store.notes.export import (
    ALL,
    select,
    slug,
    to_csv,
    to_json,
    to_markdown,
    to_w3c,
    write_file,
    write_folder,
)

if TYPE_CHECKING:
    from store.core.handle import Handle
    from store.notes.vault import VaultReport


class Export:
    """Exporting one library (`lib.export`): choose the articles, then write them as gloss
    JSON, W3C annotations, CSV or Markdown files."""

    def __init__(self, h: Handle) -> None:
        self._h = h

    def select(self, query: str | None = None, within: Filter = ALL) -> list[str]:
        return select(self._h, query, within)

    def json(self, ids: list[str]) -> dict[str, Any]:
        return to_json(self._h, ids)

    def w3c(self, ids: list[str]) -> dict[str, Any]:
        return to_w3c(self._h, ids)

    def csv(self, ids: list[str]) -> str:
        return to_csv(self._h, ids)

    def markdown(self, ids: list[str]) -> list[tuple[str, str]]:
        """(file name, Markdown) for each article, its notes as footnotes."""
        return [(slug(a), to_markdown(a)) for a in (reading.get_article(self._h, i) for i in ids)]

    def vault(self, folder: Path, ids: list[str]) -> VaultReport:
        """Bring a notes vault up to date with these articles (store.notes.vault)."""
        from store.notes.vault import export_vault

        return export_vault(self._h, folder, ids)

    write_file = staticmethod(write_file)
    write_folder = staticmethod(write_folder)
