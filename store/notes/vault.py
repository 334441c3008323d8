"""A notes vault kept true (`gloss export --format markdown -o VAULT/`): one Markdown file per
article, brought up to date in place by every export.

A file is gloss's when it is a regular file (never a symlink) whose front matter is gloss's,
with a `gloss_id` this library knows, and whose name is the one gloss gives
(`<title-slug>-<id8>.md`) to the title in that front matter. Above the marker line the file
is gloss's and is rewritten; everything after it is the user's and is kept byte for byte.
The files are the user's: each read is bounded, and a file gloss cannot read as its own is
never written, renamed or removed.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from store.core.errors import InvalidInput
from store.core.models import Article
from store.find import reading
from store.notes.export import make_folder, slug, slug_for, to_markdown, write_file

if TYPE_CHECKING:
    from store.core.handle import Handle

MARKER = "<!-- gloss: your notes below this line are kept -->"
_MARKER_LINE = re.compile(rb"^[ \t]*" + re.escape(MARKER.encode()) + rb"[ \t]*(?:\r?\n|\Z)", re.M)
_NAME = re.compile(r"[\w-]+-[0-9a-f]{8}\.md")  # the shape of every name gloss gives
_ID = re.compile(r"[0-9a-f]{32}")
HEAD_BYTES = 64 * 1024  # the front matter must end within this much of the file
FILE_BYTES = 4 * 1024 * 1024  # a gloss file larger than this is left as it is
_VERSIONS = 64  # newer versions of an article followed, at most
_NOT_THROUGH = "is a symbolic link; gloss never writes through one (remove it first)"


@dataclass(frozen=True)
class Found:
    """A file in the vault that gloss wrote, as read."""

    path: Path
    gloss_id: str
    sig: tuple[int, int, int]  # inode, size, mtime: a change since the read stops a write
    digest: bytes | None  # sha256 of its bytes; None when too large to read whole
    user: bytes | None  # what follows the marker (b"" without one); None when too large


@dataclass
class VaultReport:
    """What an export did to the vault: one list per outcome."""

    folder: Path
    written: list[Path] = field(default_factory=list)  # new files
    updated: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)  # not touched (mtime kept)
    renamed: list[tuple[Path, Path]] = field(default_factory=list)  # (old, new)
    removed: list[Path] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # "path: why", files gloss would remove
    refused: list[str] = field(default_factory=list)  # one line each: not written, and why

    def counts(self) -> dict[str, int]:
        """How many files had each outcome."""
        names = ("written", "updated", "unchanged", "renamed", "removed", "kept", "refused")
        return {name: len(getattr(self, name)) for name in names}


def export_vault(
    h: Handle,
    folder: Path,
    ids: list[str],
    *,
    head_bytes: int = HEAD_BYTES,
    file_bytes: int = FILE_BYTES,
) -> VaultReport:
    """Write each article's file in folder, in place: a changed one is rewritten with the
    user's section carried over, an unchanged one left alone, a renamed one moved; gloss's
    files of articles not in `ids` are removed unless the user wrote below the marker."""
    make_folder(folder)
    report = VaultReport(folder)
    try:
        ours = _scan(folder, head_bytes, file_bytes)
    except OSError as exc:
        raise InvalidInput(f"cannot read the folder {folder}: {exc.strerror or exc}") from None
    current: dict[str, str | None] = {}
    by_article: dict[str, list[Found]] = {}
    for found in sorted(ours.values(), key=lambda f: f.path.name):
        if found.gloss_id not in current:
            current[found.gloss_id] = _current(h, found.gloss_id)
        aid = current[found.gloss_id]
        if aid is not None:  # an id this library never had: another library's file
            by_article.setdefault(aid, []).append(found)
    names: set[str] = set()
    for aid in dict.fromkeys(ids):
        article = reading.get_article(h, aid)
        name = slug(article) + ".md"
        if name in names:
            report.refused.append(f"{folder / name}: two articles get this name; only the first")
            continue
        names.add(name)
        files = by_article.pop(aid, [])
        _export_one(article, folder / name, files, ours.get(name), report, file_bytes)
    for files in by_article.values():
        for found in files:
            _retire(found, report, file_bytes)
    return report


def file_text(article: Article, user: bytes = b"") -> bytes:
    """An article's vault file: gloss's Markdown, the marker, then the user's section."""
    lines = to_markdown(article).split("\n")
    # a note line that reads as the marker would hand the rest of gloss's text to the user
    guarded = "\n".join("\\" + ln if ln.strip() == MARKER else ln for ln in lines)
    return f"{guarded}\n{MARKER}\n".encode() + user


def _export_one(
    article: Article,
    path: Path,
    files: list[Found],
    at_name: Found | None,
    report: VaultReport,
    file_bytes: int,
) -> None:
    target = at_name if at_name is not None and at_name in files else None
    if target is None:
        why = _taken(path, at_name)
        if why is not None:
            report.refused.append(why)
            return
    source = target or (files[0] if files else None)  # the file whose user section goes on
    if source is not None and source.user is None:
        report.refused.append(f"{source.path}: larger than {file_bytes:,} bytes; left as it is")
        return
    data = file_text(article, source.user if source is not None and source.user else b"")
    if target is not None and target.digest == hashlib.sha256(data).digest():
        report.unchanged.append(path)
    else:
        expect = target.sig if target is not None else None
        try:
            write_file(path, data, lambda: _why(path, _changed(path, expect)))
        except InvalidInput as exc:
            report.refused.append(str(exc))
            return
        if source is None:
            report.written.append(path)
        elif source is target:
            report.updated.append(path)
        else:  # renamed: the old file goes once the new one holds its user section
            why = _remove(source)
            if why is None:
                report.renamed.append((source.path, path))
            else:
                report.written.append(path)
                report.kept.append(f"{source.path}: kept: {why}")
    for found in files:
        if found is not source:  # a stale copy under an older name
            _retire(found, report, file_bytes)


def _retire(found: Found, report: VaultReport, file_bytes: int) -> None:
    """A file of an article no longer exported: removed, unless it has the user's text."""
    if found.user is None:
        why: str | None = f"larger than {file_bytes:,} bytes"
    elif found.user.strip():
        why = "has your text"
    else:
        why = _remove(found)
    if why is None:
        report.removed.append(found.path)
    else:
        report.kept.append(f"{found.path}: kept: {why}")


# -- reading the vault ----------------------------------------------------------------------


def _scan(folder: Path, head_bytes: int, file_bytes: int) -> dict[str, Found]:
    """gloss's files in folder (not its subfolders), by name; nothing else is opened but
    regular-looking files with a name of the shape gloss gives."""
    ours: dict[str, Found] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            name = unicodedata.normalize("NFC", entry.name)  # macOS may hand back NFD
            if not _NAME.fullmatch(name):
                continue
            found = _read(Path(entry.path), name, head_bytes, file_bytes)
            if found is not None:
                ours[name] = found
    return ours


def _read(path: Path, name: str, head_bytes: int, file_bytes: int) -> Found | None:
    """The file as gloss's, or None: a symlink, not a regular file (a FIFO would block a
    plain open), unreadable, or without gloss's front matter for this name."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return None
            head = f.read(head_bytes)
            parsed = _front_matter(head, name)
            if parsed is None:
                return None
            gloss_id, body_at = parsed
            sig = (st.st_ino, st.st_size, st.st_mtime_ns)
            if st.st_size > file_bytes:
                return Found(path, gloss_id, sig, None, None)
            data = head + f.read(file_bytes + 1 - len(head))
    except OSError:
        return None
    if len(data) > file_bytes:  # it grew since fstat
        return Found(path, gloss_id, sig, None, None)
    marker = _MARKER_LINE.search(data, body_at)
    user = data[marker.end() :] if marker else b""  # an older export: all of it is gloss's
    return Found(path, gloss_id, sig, hashlib.sha256(data).digest(), user)


def _front_matter(head: bytes, name: str) -> tuple[str, int] | None:
    """(gloss_id, where the body starts) when the file opens with gloss's front matter and
    is named for its title and id, else None."""
    if not head.startswith(b"---\n"):
        return None
    end = head.find(b"\n---\n", 3)
    if end < 0:
        return None
    try:
        meta = yaml.load(head[4 : end + 1].decode("utf-8"), Loader=yaml.SafeLoader)
    except Exception:  # bad UTF-8, broken YAML, nesting deep enough to recurse: not gloss's
        return None
    if not isinstance(meta, dict):
        return None
    gloss_id, title = meta.get("gloss_id"), meta.get("title")
    if not isinstance(gloss_id, str) or not _ID.fullmatch(gloss_id):
        return None
    if not isinstance(title, str) or slug_for(title, gloss_id) + ".md" != name:
        return None  # a copy, a sync conflict, a renamed file, a note citing the id: theirs
    return gloss_id, end + 5


def _current(h: Handle, gloss_id: str) -> str | None:
    """The current version of an article (itself when it has no newer one); None for an id
    this library does not have."""
    aid = gloss_id
    for _ in range(_VERSIONS):
        row = h.conn.execute(
            "SELECT (SELECT id FROM articles WHERE key = s.superseded_by) FROM articles a"
            " JOIN article_state s ON s.article = a.key WHERE a.id = ?",
            (aid,),
        ).fetchone()
        if row is None:
            return None if aid == gloss_id else aid
        if row[0] is None:
            return aid
        aid = row[0]
    return aid


# -- changing the vault ---------------------------------------------------------------------


def _taken(path: Path, at_name: Found | None) -> str | None:
    """Why gloss may not write path (something that is not this article's file is there)."""
    if at_name is not None:
        return f"{path} holds another article's notes (same name); left as it is"
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot check {path}: {exc.strerror or exc}"
    if stat.S_ISLNK(st.st_mode):
        return f"{path} {_NOT_THROUGH}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} exists and is not a regular file"
    return f"{path} exists and is not a file gloss wrote (no gloss front matter); left as it is"


def _changed(path: Path, sig: tuple[int, int, int] | None) -> str | None:
    """Why the file at path is no longer the one read (sig None: there was none)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None if sig is None else "it disappeared while exporting; export again"
    except OSError as exc:
        return f"cannot check it: {exc.strerror or exc}"
    if sig is None:
        return "it appeared while exporting; left as it is"
    if not stat.S_ISREG(st.st_mode) or (st.st_ino, st.st_size, st.st_mtime_ns) != sig:
        return "it changed while exporting; export again"
    return None


def _why(path: Path, why: str | None) -> str | None:
    return None if why is None else f"{path}: {why}"


def _remove(found: Found) -> str | None:
    """Remove a file gloss wrote, if it is still the one read; else why it stays."""
    why = _changed(found.path, found.sig)
    if why is not None:
        return why
    try:
        os.unlink(found.path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return f"cannot remove it: {exc.strerror or exc}"
    return None
