"""`gloss feed ...` and `gloss refresh`: thin click commands over the store's feeds and OPML.

Registered on the main group by `register(cli)`; the helpers are tui.cli_base's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from store.core.sanitize import clean_line
from store.ingest import feeds
from store.ingest.fetch import Limits
from tui.cli_base import emit, fail, json_option, library, out, summary_line


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
        done = feeds.subscribe(lib, url, tags, Limits(timeout=timeout))
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


def feed_line(f: feeds.Feed) -> str:
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
        rows = feeds.list_feeds(lib, include_unsubscribed=include_all)
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
        f = feeds.unsubscribe(lib, feeds.resolve_feed(lib, feed))
    out(f"unsubscribed from {f.id[:8]}  {f.title}; its {f.articles} articles are kept")


@feed_group.command("tag", context_settings={"ignore_unknown_options": True})
@click.argument("feed")
@click.argument("changes", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_context
def tag(ctx: click.Context, feed: str, changes: tuple[str, ...]) -> None:
    """Add (+name or name) and remove (-name) a feed's tags."""
    add = [c[1:] if c.startswith("+") else c for c in changes if not c.startswith("-")]
    drop = [c[1:] for c in changes if c.startswith("-")]
    with library(ctx) as lib:
        f = feeds.tag_feed(lib, feeds.resolve_feed(lib, feed), add, drop)
    out(" ".join(f.tags) if f.tags else "(no tags)")


@feed_group.command("articles")
@click.argument("feed")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@json_option
@click.pass_context
def articles(ctx: click.Context, feed: str, limit: int | None, as_json: bool) -> None:
    """List the articles a feed brought, newest import first."""
    with library(ctx) as lib:
        rows = feeds.feed_articles(lib, feeds.resolve_feed(lib, feed), limit)
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
    from store.ingest.opml import import_opml

    with library(ctx) as lib:
        report = import_opml(lib, path)
    if as_json:
        emit(report.to_json())
    else:
        for f in report.added:
            out(f"subscribed   {f.id[:8]}  {f.title}  {f.url}")
        for why in report.skipped:
            out(f"skipped      {why}")
        out(
            f"{len(report.added)} subscribed, {len(report.present)} already subscribed,"
            f" {len(report.skipped)} skipped"
        )
    if report.skipped:
        sys.exit(1)


@feed_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")  # fmt: skip
@click.pass_context
def export_cmd(ctx: click.Context, output: Path | None) -> None:
    """Write subscriptions as OPML, for another feed reader or another gloss."""
    from store.ingest.opml import export_opml

    with library(ctx) as lib:
        text = export_opml(lib)
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


def refresh_lines(r) -> list[str]:
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


@click.command("refresh")
@click.argument("feed_refs", metavar="[FEED]...", nargs=-1)
@timeout_option
@json_option
@click.pass_context
def refresh_cmd(ctx: click.Context, feed_refs: tuple[str, ...], timeout: float,
                as_json: bool) -> None:  # fmt: skip
    """Fetch every subscribed feed (or the given ones) and import new entries."""
    with library(ctx) as lib, _phases(not as_json) as progress:
        ids = [feeds.resolve_feed(lib, ref) for ref in feed_refs] or None
        report = feeds.refresh(lib, ids, progress, Limits(timeout=timeout))
    for warning in report.warnings:
        click.echo(f"gloss: warning: {clean_line(warning)}", err=True)
    if as_json:
        emit(report.to_json())
    else:
        if not report.feeds:
            out("no feeds to refresh: add one with `gloss feed add URL`")
        for r in report.feeds:
            for line in refresh_lines(r):
                out(line)
        if report.feeds:
            skipped = report.total("skipped")
            out(
                f"{report.total('new')} new articles, {report.total('present')} already"
                f" present, " + (f"{skipped} entries skipped, " if skipped else "")
                + f"{report.failed} feeds failed"
            )  # fmt: skip
    if report.failed:
        sys.exit(1)


def register(cli: click.Group) -> None:
    """Add `feed` and `refresh` to the main command group."""
    cli.add_command(feed_group)
    cli.add_command(refresh_cmd)
