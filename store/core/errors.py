"""Named errors raised by the store; each message is one line meant for the user."""

from __future__ import annotations


class GlossError(Exception):
    """Base of every error the store raises on purpose."""


class LibraryError(GlossError):
    """The library file cannot be opened or used (not gloss, corrupt, newer schema, locked)."""


class NotFound(GlossError):
    """No article or note matches the given id."""


class AmbiguousId(GlossError):
    """An id prefix matches more than one article or note."""


class ImportFailed(GlossError):
    """One file could not be imported; the message says why."""


class InvalidInput(GlossError):
    """A tag, note, quote or other argument given by the user is not acceptable."""


class QueryError(GlossError):
    """A search query that cannot be parsed; the message says where and why."""


class FetchFailed(GlossError):
    """A URL could not be fetched; the message says why, in one line."""
