"""One formatter per report (import, sync, feed refresh, OPML import, annotation import,
folder export), shared by the CLI and the TUI's job bar: each returns plain `Lines`.

The CLI shows them with `print_report` (the lines, warnings to stderr, the exit status); the
job bar notifies the summary, then the warnings and the failures. Text from files, feeds and
peers stays plain strings here: the CLI cleans what it prints, the TUI shows it with markup
off. Imports no Textual or Rich (nor click, but in `print_report`), and is imported only
where a report is shown, so neither start-up pays for it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from store.core.models import ImportReport
    from store.ingest.links import FetchReport
    from store.ingest.opml import OpmlReport
    from store.ingest.refresh import FeedResult, RefreshReport
    from store.ingest.services.apply import ServiceReport
    from store.notes.exchange import AnnotationReport
    from store.notes.export import Written
    from store.sync.report import SyncReport

SHOWN = 5  # failures the TUI notifies one by one; the rest are counted


@dataclass(frozen=True)
class Lines:
    """A report as text: what both the CLI and the TUI say about it."""

    title: str  # the report's kind, the TUI notification's title
    summary: str  # one line: the TUI notification, and a line of the CLI's output
    details: tuple[str, ...] = ()  # one or more per item, printed by the CLI
    notices: tuple[str, ...] = ()  # said before everything else (stdout; information)
    warnings: tuple[str, ...] = ()  # to stderr in the CLI, warning notifications in the TUI
    errors: tuple[str, ...] = ()  # the failed items, for the TUI (at most SHOWN, then a count)
    exit_code: int = 0  # the CLI's exit status
    severity: Literal["information", "warning", "error"] = "information"
    summary_at: Literal["end", "start", "none"] = "end"  # where the CLI prints the summary

    def printed(self) -> list[str]:
        """The CLI's standard output, in order."""
        summary = [self.summary]
        if self.summary_at == "start":
            return [*self.notices, *summary, *self.details]
        if self.summary_at == "none":  # `gloss sync` never printed one: scripts read its lines
            return [*self.notices, *self.details]
        return [*self.notices, *self.details, *summary]


def print_report(lines: Lines, as_json: object = None) -> None:
    """The CLI's way to show a report: warnings to stderr, then `as_json` (when given) or
    the lines, then exit with the report's status. (click is imported here, for the CLI.)"""
    import click

    from store.core.sanitize import clean_line
    from tui.cli_base import emit, out

    for warning in lines.warnings:
        click.echo(f"gloss: warning: {clean_line(warning)}", err=True)
    if as_json is not None:
        emit(as_json)
    else:
        for line in lines.printed():
            out(line)
    if lines.exit_code:
        sys.exit(lines.exit_code)


def _some(errors: list[str], what: str) -> tuple[str, ...]:
    more = len(errors) - SHOWN
    return tuple(errors[:SHOWN]) + ((f"…and {more} more {what} failed",) if more > 0 else ())


# -- import ---------------------------------------------------------------------------------

_STATUS = {"imported": "imported", "present": "already in library", "failed": "failed"}


def import_lines(report: ImportReport) -> Lines:
    """A line per file, the counts, the warnings; exit status 1 if a file failed."""
    details: list[str] = []
    errors: list[str] = []
    for r in report.results:
        line = f"{_STATUS[r.status]:<18} "
        if r.status == "failed":
            errors.append(f"{r.path}: {r.reason}")
            line += errors[-1]
        else:
            line += r.path
            if r.article_id:
                line += f"  {r.article_id[:8]}  {r.title}"
                if r.status == "imported" and r.reason:
                    line += f" ({r.reason})"
        details.append(line)
    failed = report.count("failed")
    summary = f"{report.count('imported')} imported, {report.count('present')} already present, "
    summary += f"{failed} failed"
    if report.skipped:
        summary += f", {report.skipped} other files skipped"
    return Lines("Import", summary, tuple(details), warnings=tuple(report.warnings),
                 errors=_some(errors, "files"), exit_code=int(failed > 0))  # fmt: skip


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


_ENTRY = {"imported": "article", "linked": "saved link", "book": "book",
          "merged": "merged", "present": "already in library", "failed": "failed"}  # fmt: skip


def service_lines(report: ServiceReport) -> Lines:
    """An export's import: a line per entry merged or failed (the new ones are counted),
    the counts, what the highlights became; exit status 1 if an entry failed."""
    details: list[str] = []
    errors: list[str] = []
    for r in report.results:
        if r.status == "failed":
            errors.append(f"{r.path}: {r.reason}")
            details.append(f"{'failed':<18} {errors[-1]}")
        elif r.status == "merged" and r.reason:
            ident = f"  {r.article_id[:8]}" if r.article_id else ""
            details.append(f"{_ENTRY[r.status]:<18} {r.path}{ident}  {r.title or ''}: {r.reason}")
    c = report.count
    parts = [_n(c("imported"), "article"), _n(c("linked"), "saved link"), _n(c("book"), "book")]
    parts = [p for p in parts if not p.startswith("0 ")] or ["nothing new"]
    if c("merged"):
        parts.append(f"{c('merged'):,} merged into articles already here")
    parts += [f"{c('present'):,} already in library", f"{c('failed'):,} failed"]
    summary = f"{report.service}: {', '.join(parts)}"
    if report.highlights:
        summary += f"; {_n(report.highlights, 'highlight or note', 'highlights and notes')} added"
        placed = [(report.anchored, "anchored"), (report.waiting, "waiting for their page"),
                  (report.orphaned, "orphaned: their quote is not in the text")]  # fmt: skip
        summary += f" ({', '.join(f'{n:,} {what}' for n, what in placed if n)})"
    if report.tags:
        summary += f"; {_n(report.tags, 'tag')} added"
    if c("linked"):
        summary += " (`gloss fetch` brings the saved links' pages)"
    failed = c("failed")
    return Lines("Import", summary, tuple(details), warnings=tuple(report.warnings),
                 errors=_some(errors, "entries"), exit_code=int(failed > 0))  # fmt: skip


def fetch_lines(report: FetchReport) -> Lines:
    """`gloss fetch`: a line per link; exit status 1 if one failed."""
    details: list[str] = []
    errors: list[str] = []
    for r in report.results:
        if r.status == "failed":
            errors.append(f"{r.path}: {r.reason}")
            details.append(f"{'failed':<10} {errors[-1]}")
        else:
            extra = f" ({r.reason})" if r.reason else ""
            details.append(
                f"{'fetched':<10} {r.path}  {(r.article_id or '')[:8]}  {r.title}{extra}"
            )
    fetched, failed = report.count("imported"), report.count("failed")
    summary = f"{_n(fetched, 'saved link')} fetched, {failed:,} failed"
    if report.moved:
        summary += f"; {_n(report.moved, 'note')} moved to the pages ({report.orphaned:,} orphaned)"
    return Lines("Fetch", summary, tuple(details), warnings=tuple(report.warnings),
                 errors=_some(errors, "links"), exit_code=int(failed > 0))  # fmt: skip


# -- sync -----------------------------------------------------------------------------------


def sync_lines(report: SyncReport, target: str | Path) -> Lines:
    """A line per file read, what was written, conflicts; exit status 1 if a file was
    skipped (the summary names it). The summary joins the same lines: `Synced with T: a; b.`"""
    said: list[tuple[str, str]] = []  # (verb, the rest): the CLI aligns the verbs
    hub = report.hub is not None
    for p in report.peers:
        name = Path(p.path).name
        if p.skipped:
            said.append(("skipped", f"{name}: {p.skipped}"))
        elif p.unchanged:
            said.append(
                ("unchanged", f"{name} (merged before)" if hub else f"{name} since the last sync")
            )
        else:
            refused = f", {p.refused} unsafe facts refused" if p.refused else ""
            waiting = p.waiting
            later = f", {waiting} stamped in the future wait" if waiting else ""
            sent = "" if hub else f", {p.sent} sent"
            got = f"{p.received} fact{'s' * (p.received != 1)}"
            said.append(("merged", f"{name}: {got} received{sent}{refused}{later}"))
    parts = [f"{verb} {rest}" for verb, rest in said]
    details = [f"{verb:<8} {rest}" for verb, rest in said]
    if hub:
        if report.published:
            details.append(
                f"wrote    {Path(report.published).name} ({report.sent:,}"
                f" fact{'s' * (report.sent != 1)},"
                f" {_size(report.written_bytes)})"
            )
        else:
            details.append("wrote    nothing: the hub holds everything this library has")
        parts.append(details[-1].replace("    ", " ", 1))
        if report.compacted:
            details.append(f"rolled   {report.compacted} of this device's files into one")
            parts.append(details[-1].replace("   ", " ", 1))
    elif report.published:
        state = "is up to date" if report.up_to_date else "written"
        details.append(f"published {report.published} ({state})")
        parts.append(details[-1])
    if report.conflicts:
        # the same count; where to find them differs: a command here, a search in the app
        details.append(f"{_n(report.conflicts, 'note')} in conflict: see `gloss notes --conflicts`")
        parts.append(f"{_n(report.conflicts, 'note')} in conflict (search has:conflict)")
    skipped = any(p.skipped for p in report.peers)
    return Lines(
        "Sync",
        f"Synced with {target}: " + ("; ".join(parts) or "nothing to do") + ".",
        tuple(details),
        notices=tuple(report.messages),
        exit_code=int(skipped),
        severity="warning" if skipped or report.conflicts else "information",
        summary_at="none",
    )


def _size(n: int) -> str:
    return (
        f"{n:,} bytes"
        if n < 10_000
        else f"{n / 1024:,.0f} KiB"
        if n < 10 << 20
        else f"{n / (1 << 20):,.1f} MiB"
    )


# -- feeds ----------------------------------------------------------------------------------


def feed_lines(r: FeedResult) -> list[str]:
    """What one refresh did for one feed: a line, then up to five of its entries' notes."""
    head = f"{r.feed_id[:8]}  {r.title}: "
    if r.status == "failed":
        return [head + f"failed: {r.error}"]
    if r.status in ("not-modified", "cancelled"):
        return [head + r.status.replace("-", " ")]
    extra = [f"{r.full_text} with full text fetched"] if r.full_text else []
    extra += [f"{r.kept_summary} with the feed's own text"] if r.kept_summary else []
    extra += [f"{r.untitled} untitled"] if r.untitled else []
    extra += [f"{r.unlinked} without a link"] if r.unlinked else []
    line = head + f"{r.new} new" + (f" ({', '.join(extra)})" if extra else "")
    line += f", {r.present} already present"
    lines = [line + (f", {r.skipped} skipped" if r.skipped else "")]
    lines += [f"          {m}" for m in r.messages[:5]]
    if len(r.messages) > 5:
        lines.append(f"          ... and {len(r.messages) - 5} more")
    return lines


def refresh_lines(report: RefreshReport) -> Lines:
    """Lines per feed and the totals; exit status 1 if a feed failed."""
    warnings = tuple(report.warnings)
    if not report.feeds:
        return Lines("Feeds", "no feeds to refresh: add one with `gloss feed add URL`",
                     warnings=warnings)  # fmt: skip
    details = [line for r in report.feeds for line in feed_lines(r)]
    skipped = report.total("skipped")
    summary = f"{report.total('new')} new articles, {report.total('present')} already present, "
    summary += (f"{skipped} entries skipped, " if skipped else "") + f"{report.failed} feeds failed"
    failed = [feed_lines(r)[0] for r in report.feeds if r.status == "failed"]
    return Lines("Feeds", summary, tuple(details), warnings=warnings,
                 errors=_some(failed, "feeds"), exit_code=int(report.failed > 0),
                 severity="warning" if report.failed else "information")  # fmt: skip


def opml_lines(report: OpmlReport) -> Lines:
    """A line per feed subscribed or skipped, and the counts; exit status 1 if one was skipped."""
    details = [f"subscribed   {f.id[:8]}  {f.title}  {f.url}" for f in report.added]
    details += [f"skipped      {why}" for why in report.skipped]
    summary = (f"{len(report.added)} subscribed, {len(report.present)} already subscribed,"
               f" {len(report.skipped)} skipped")  # fmt: skip
    return Lines("Feeds", summary, tuple(details), errors=_some(report.skipped, "feeds"),
                 exit_code=int(bool(report.skipped)))  # fmt: skip


# -- notes ----------------------------------------------------------------------------------


def annotation_lines(report: AnnotationReport) -> Lines:
    """The counts, then up to twenty rejections; exit status 1 if one was rejected."""
    summary = (
        f"{report.attached} attached, {report.present} already present, "
        f"{report.orphaned} orphaned (quote not found), {len(report.missing)} for articles "
        f"not in the library, {len(report.rejected)} rejected"
    )
    details = tuple(f"  rejected: {why}" for why in report.rejected[:20])
    return Lines("Annotations", summary, details, errors=_some(report.rejected, "annotations"),
                 exit_code=int(bool(report.rejected)), summary_at="start")  # fmt: skip


def written_lines(done: Written, folder: str | Path) -> Lines:
    """A folder export: how many files, then each refusal; exit status 1 if one was refused."""
    return Lines(
        "Export",
        f"wrote {len(done.files)} files to {folder}",
        tuple(f"  not written: {why}" for why in done.refused),
        errors=_some(done.refused, "files"),
        exit_code=int(bool(done.refused)),
        summary_at="start",
    )
