"""`gloss feed ...` and `gloss refresh`: thin click commands over the store's feeds and OPML.

Registered on the main group by `register(cli)`; the helpers are tui.cli_base's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from store.ingest.feeds import Feed
from store.ingest.fetch import Limits
from tui.cli_base import emit, fail, json_option, library, out, summary_line

if TYPE_CHECKING:
    from store.ingest.refresh import FeedResult


def timeout_option(f: Callable) -> Callable:
    return click.option(
        "--timeout", type=click.FloatRange(min=0.1), default=Limits.timeout, show_default=True,
        help="Seconds to wait for a server.",
    )(f)  # fmt: skip


@click.group("feed")
def feed_group() -> None:
    """Subscribe to RSS and Atom feeds; `gloss refresh` fetches them."""


@feed_group.command("add")
@click.argument("url")
@click.option("--tag", "tags", multiple=True, help="Tag (folder) for the feed; repeatable.")
@timeout_option
@json_option
@click.pass_context
def add(ctx: click.Context, url: str, tags: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """Subscribe to a feed (or to the feed a web page names); fetched once to check it."""
    with library(ctx) as lib:
        done = lib.feeds.subscribe(url, tags, Limits(timeout=timeout))
    if as_json:
        emit(done.to_json())
        return
    f = done.feed
    if done.discovered_from:
        out(f"found the feed {f.url} on {done.discovered_from}")
    verb = "subscribed to" if done.new else "already subscribed to"
    tags_text = f"  [{', '.join(f.tags)}]" if f.tags else ""
    out(f"{verb} {f.id[:8]}  {f.title}{tags_text}")
    if done.new:
        out("run `gloss refresh` to fetch its articles")


def feed_line(f: Feed) -> str:
    tags = f"  [{', '.join(f.tags)}]" if f.tags else ""
    if f.last_status is None:
        status = "never refreshed"
    elif f.last_status == "failed":
        status = f"failed {(f.last_fetch or '')[:16]}: {f.last_error}"
    else:
        status = f"{f.last_status} {(f.last_fetch or '')[:16]}"
    gone = "" if f.subscribed else "  (unsubscribed)"
    return (
        f"{f.id[:8]}  {f.unread:>4} unread / {f.articles:<4}  {f.title}{tags}{gone}\n"
        f"          {f.url}  ({status})"
    )


@feed_group.command("list")
@click.option("--all", "include_all", is_flag=True, help="Include unsubscribed feeds.")
@json_option
@click.pass_context
def list_cmd(ctx: click.Context, include_all: bool, as_json: bool) -> None:
    """List subscribed feeds with unread counts and the last refresh's outcome."""
    with library(ctx) as lib:
        rows = lib.feeds.list(include_unsubscribed=include_all)
    if as_json:
        emit([f.to_json() for f in rows])
        return
    for f in rows:
        out(feed_line(f))
    if not rows:
        out("no feeds: add one with `gloss feed add URL`")


@feed_group.command("remove")
@click.argument("feed")
@click.pass_context
def remove(ctx: click.Context, feed: str) -> None:
    """Unsubscribe (by id prefix or URL); the feed's articles stay in the library."""
    with library(ctx) as lib:
        f = lib.feeds.unsubscribe(lib.feeds.resolve(feed))
    kept = "its article is kept" if f.articles == 1 else f"its {f.articles} articles are kept"
    out(f"unsubscribed from {f.id[:8]}  {f.title}; {kept}")


@feed_group.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("feed")
@click.argument("changes", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def tag(ctx: click.Context, feed: str, changes: tuple[str, ...]) -> None:
    """Add (+name or name) and remove (-name) a feed's tags."""
    add = [c[1:] if c.startswith("+") else c for c in changes if not c.startswith("-")]
    drop = [c[1:] for c in changes if c.startswith("-")]
    with library(ctx) as lib:
        f = lib.feeds.tag(lib.feeds.resolve(feed), add, drop)
    out(" ".join(f.tags) if f.tags else "(no tags)")


@feed_group.command("articles")
@click.argument("feed")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@json_option
@click.pass_context
def articles(ctx: click.Context, feed: str, limit: int | None, as_json: bool) -> None:
    """List the articles a feed brought, newest import first."""
    with library(ctx) as lib:
        rows = lib.feeds.articles(lib.feeds.resolve(feed), limit)
    if as_json:
        emit([a.to_json() for a in rows])
    else:
        for a in rows:
            out(summary_line(a))


@feed_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@click.pass_context
def import_cmd(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Subscribe to every feed of an OPML file (feeds are fetched by `gloss refresh`)."""

    with library(ctx) as lib:
        report = lib.feeds.import_opml(path)
    from tui.reports import opml_lines, print_report

    print_report(opml_lines(report), report.to_json() if as_json else None)


@feed_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")  # fmt: skip
@click.pass_context
def export_cmd(ctx: click.Context, output: Path | None) -> None:
    """Write subscriptions as OPML, for another feed reader or another gloss."""

    with library(ctx) as lib:
        text = lib.feeds.export_opml()
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    out(f"wrote {output}")


@contextmanager
def _phases(enabled: bool) -> Iterator[Callable[[int, int, str], None]]:
    """One progress display with a bar per phase (fetching feeds, storing articles)."""
    if not enabled or not sys.stderr.isatty():
        yield lambda done, total, label: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   transient=True)  # fmt: skip
    tasks: dict[str, object] = {}

    def update(done: int, total: int, label: str) -> None:
        phase = "Storing articles" if label == "storing articles" else "Fetching feeds"
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done)  # type: ignore[arg-type]

    with bar:
        yield update


def refresh_lines(r: FeedResult) -> list[str]:
    """What one refresh did for one feed (tui.reports.feed_lines, the one wording)."""
    from tui.reports import feed_lines

    return feed_lines(r)


@click.command("refresh")
@click.argument("feed_refs", metavar="[FEED]...", nargs=-1)
@timeout_option
@json_option
@click.pass_context
def refresh_cmd(ctx: click.Context, feed_refs: tuple[str, ...], timeout: float,
                as_json: bool) -> None:  # fmt: skip
    """Fetch every subscribed feed (or the given ones) and import new entries."""
    with library(ctx) as lib, _phases(not as_json) as progress:
        ids = [lib.feeds.resolve(ref) for ref in feed_refs] or None
        report = lib.feeds.refresh(ids, progress, Limits(timeout=timeout))
    from tui import reports

    reports.print_report(reports.refresh_lines(report), report.to_json() if as_json else None)


def register(cli: click.Group) -> None:
    """Add `feed` and `refresh` to the main command group."""
    cli.add_command(feed_group)
    cli.add_command(refresh_cmd)
