"""The `gloss` subcommands: thin click commands over `store.Library`, loaded by `tui.cli`
only when a subcommand (or an option such as --help) is given.

Errors are one line on stderr with a non-zero exit; every listing takes `--json`.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from store.core.errors import QueryError
from store.core.models import Article, Filter
from store.core.paths import default_db_path
from store.core.sanitize import clean_line
from tui.cli_base import (
    article_arg,
    damaged,
    emit,
    fail,
    json_option,
    library,
    out,
    summary_line,
)
from tui.cli_entities import EntitiesGroup
from tui.launch import run_app

if TYPE_CHECKING:
    from store.notes.vault import VaultReport


@click.group(invoke_without_command=True)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="GLOSS_DB",
    help="Library file (default: $GLOSS_DB, else the user data folder).",
)
@click.version_option(package_name="gloss")
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None) -> None:
    """gloss: a terminal news reader for people who read closely."""
    ctx.obj = db_path or default_db_path()
    if ctx.invoked_subcommand is None:
        run_app(ctx.obj)


# -- import and analysis --------------------------------------------------------------------


@cli.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--jobs", "-j", default=0, help="spaCy processes (default: all cores for 200+ articles)."
)
@json_option
@click.pass_context
def import_cmd(ctx: click.Context, paths: tuple[str, ...], jobs: int, as_json: bool) -> None:
    """Import article files (.txt, .md, .html), folders of them, and web pages (URLs)."""
    from store.ingest.fetch import is_url
    from tui.progress import progress_bar

    urls = [p for p in paths if is_url(p)]
    files = [Path(p) for p in paths if not is_url(p)]
    exports = [f for f in files if not f.is_dir() and _detect(f)]
    if exports and len(paths) > 1:
        fail(f"{exports[0]} is an export of {_detect(exports[0])}: import it on its own"
             " (gloss import FILE, or gloss import-from SERVICE FILE)")  # fmt: skip
    if exports:
        ctx.invoke(import_from, service=_detect(exports[0]), file=exports[0], jobs=jobs,
                   as_json=as_json)  # fmt: skip
        return
    with library(ctx) as lib, progress_bar("Importing", enabled=not as_json) as progress:
        report = lib.import_paths(files, progress=progress, jobs=max(0, jobs))
        if urls:
            pages = lib.feeds.import_urls(urls, progress=progress)
            report.results += pages.results
            report.warnings += [w for w in pages.warnings if w not in report.warnings]
    from tui.reports import import_lines, print_report

    print_report(import_lines(report), report.to_json() if as_json else None)


def _detect(path: Path) -> str | None:
    from store.ingest import services

    module = services.detect(path)
    return module.NAME if module is not None else None


@cli.command("import-from")
@click.argument("service", type=click.Choice(
    ["omnivore", "pocket", "wallabag", "readwise", "hypothesis", "kindle", "instapaper"],
    case_sensitive=False))  # fmt: skip
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--jobs", "-j", default=0, help="spaCy processes (default: all cores for 200+ articles)."
)
@json_option
@click.pass_context
def import_from(ctx: click.Context, service: str, file: Path, jobs: int, as_json: bool) -> None:
    """Import a read-later service's export: its articles, saved links, tags, read and
    starred state, and highlights with their notes."""
    from store.core.errors import ImportFailed
    from tui.progress import progress_bar

    with library(ctx) as lib, progress_bar("Importing", enabled=not as_json) as progress:
        try:
            report = lib.import_export(service, file, progress=progress, jobs=max(0, jobs))
        except ImportFailed as exc:
            fail(f"{file}: {exc}" if str(file) not in str(exc) else str(exc))
    from tui.reports import print_report, service_lines

    print_report(service_lines(report), report.to_json() if as_json else None)


@cli.command()
@click.argument("ids", nargs=-1)
@json_option
@click.pass_context
def fetch(ctx: click.Context, ids: tuple[str, ...], as_json: bool) -> None:
    """Fetch saved links' pages (all of them, or those whose id starts with IDS): each
    becomes the article, with the link's highlights anchored in its text."""
    from tui.progress import progress_bar

    with library(ctx) as lib:
        links = lib.saved_links(ids)
        if ids and not links:
            fail(f"no saved link to fetch with id {', '.join(ids)}")
        if not links:
            from tui.reports import Lines, print_report

            print_report(
                Lines("Fetch", "no saved links to fetch"), {"fetched": 0} if as_json else None
            )
            return
        with progress_bar("Fetching", enabled=not as_json) as progress:
            report = lib.fetch_links(links, progress=progress)
    from tui.reports import fetch_lines, print_report

    print_report(fetch_lines(report), report.to_json() if as_json else None)


@cli.command()
@click.option("--all", "all_articles", is_flag=True, help="Re-analyse every article.")
@json_option
@click.pass_context
def reanalyze(ctx: click.Context, all_articles: bool, as_json: bool) -> None:
    """Compute entities for articles imported without them (or all, with --all)."""
    from tui.progress import progress_bar

    with library(ctx) as lib, progress_bar("Analysing", enabled=not as_json) as progress:
        count, notice = lib.reanalyze(all_articles, progress)
    if notice and not lib.can_analyse():
        fail(notice)
    if notice:  # a model was used, not the one asked for: say so, and carry on
        click.echo(f"gloss: warning: {clean_line(notice)}", err=True)
    if as_json:
        emit({"analysed": count})
    else:
        out(f"{count} article{'' if count == 1 else 's'} analysed")


# -- listing and reading --------------------------------------------------------------------


@cli.command("list")
@click.option(
    "--tag", help="Only articles with this tag or one nested under it (=T: this tag only)."
)
@click.option("--unread", is_flag=True, help="Only unread articles.")
@click.option("--starred", is_flag=True, help="Only starred articles.")
@click.option("--annotated", is_flag=True, help="Only articles with notes or highlights.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@json_option
@click.pass_context
def list_cmd(ctx: click.Context, tag: str | None, unread: bool, starred: bool, annotated: bool,
             limit: int | None, as_json: bool) -> None:  # fmt: skip
    """List articles, newest import first."""
    with library(ctx) as lib:
        rows = lib.list_articles(Filter(tag, unread, starred, annotated), limit=limit)
    if as_json:
        emit([a.to_json() for a in rows])
    else:
        for a in rows:
            out(summary_line(a))


@cli.command()
@click.argument("article")
@json_option
@click.pass_context
def show(ctx: click.Context, article: str, as_json: bool) -> None:
    """Show an article with its entities (colour on a terminal) and notes."""
    with library(ctx) as lib:
        a: Article = lib.get_article(article_arg(lib, article))
    if as_json:
        emit(a.to_json())
    else:
        from tui.render import print_article  # (Rich, for this command only)

        print_article(a)


@cli.group(cls=EntitiesGroup)
def entities() -> None:
    """Named entities (`gloss entities [ARTICLE]`: the default command, list), and the
    reader's corrections of them."""


@entities.command("list")
@click.argument("article", required=False)
@click.option("--label", help="Only entities with this label (PERSON, ORG, GPE, ...).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "--all", "all_labels", is_flag=True,
    help="Library-wide, also numbers, dates, times, money, quantities and percentages.",
)  # fmt: skip
@json_option
@click.pass_context
def entities_list(ctx: click.Context, article: str | None, label: str | None, limit: int,
                  all_labels: bool, as_json: bool) -> None:  # fmt: skip
    """Named entities of one article, or the library's names in the most articles."""
    with library(ctx) as lib:
        aid = article_arg(lib, article) if article else None
        rows = (
            lib.entities(aid, label, limit) if aid else lib.entities(None, label, limit, all_labels)
        )
    if as_json:
        emit([e.to_json() for e in rows])
    elif aid is None:  # ranked by articles: that count first
        for e in rows:
            out(f"{e.articles:>5}  {e.label:<12} {e.text}  ({e.count} mentions)")
    else:
        for e in rows:
            out(f"{e.count:>5}  {e.label:<12} {e.text}")


@cli.command()
@click.argument("name")
@click.option("--label", help="The entity with this label (default: its most common one).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Articles to show.")  # fmt: skip
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Articles to skip.")
@json_option
@click.pass_context
def entity(ctx: click.Context, name: str, label: str | None, limit: int, offset: int,
           as_json: bool) -> None:  # fmt: skip
    """One entity across the library: its articles (newest first, with the sentence of its
    first mention), a timeline by month, the names mentioned with it, and notes on it."""
    from store.core.errors import NotFound

    with library(ctx) as lib:
        try:
            page = lib.entity_page(name, label, limit, offset)
        except NotFound:
            close = lib.entity_suggestions(name, label)
            which = f" with label {label.upper()}" if label else ""
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            fail(f"no entity {name!r}{which} in the library{hint}")
    if as_json:
        emit(page.to_json())
    else:
        from tui.entity_view import print_entity_page  # (Rich, for this command only)

        print_entity_page(page)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@json_option
@click.pass_context
def search(ctx: click.Context, words: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Search articles, notes, quotes, tags and entities (see the README for the language)."""
    text = " ".join(words)  # `gloss search putin summit` == `gloss search "putin summit"`
    with library(ctx) as lib:
        try:
            hits = lib.search(text, limit)
        except QueryError as exc:
            fail(f"bad query: {exc}", 2)
    if as_json:
        emit([h.to_json() for h in hits])
    else:
        from tui.render import print_hits

        print_hits(hits)


@cli.command()
@click.argument("target")
@json_option
@click.pass_context
def sync(ctx: click.Context, target: str, as_json: bool) -> None:
    """Sync with a hub: a folder (Syncthing, Dropbox, a USB stick), a WebDAV URL
    (webdav://host/path, webdav+http://host:port/path) or an S3 URL (s3://bucket/prefix);
    or with another library file."""
    with library(ctx) as lib:
        report = lib.sync(target)
    from store.sync.hub import strip_credentials

    path = strip_credentials(target) if "://" in target else target
    from tui.reports import print_report, sync_lines

    print_report(sync_lines(report, path), report.to_json() if as_json else None)


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["markdown", "json", "w3c", "csv"]),
    default="markdown", show_default=True,
)  # fmt: skip
@click.option("--query", "-q", help="Only articles matching this search query.")
@click.option(
    "--tag", help="Only articles with this tag or one nested under it (=T: this tag only)."
)
@click.option(
    "--only-annotated/--all", "only_annotated", default=None,
    help="Only articles with notes or highlights (the default for a markdown folder), or all.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(path_type=Path),
    help="File to write; for markdown, a folder gets one file per article, kept up to date.",
)  # fmt: skip
@click.pass_context
def export(ctx: click.Context, fmt: str, query: str | None, tag: str | None,
           only_annotated: bool | None, output: Path | None) -> None:  # fmt: skip
    """Export notes and highlights: Markdown, gloss JSON, W3C Web Annotation, or CSV."""
    vault = fmt == "markdown" and output is not None and output.suffix.lower() != ".md"
    annotated = vault if only_annotated is None else only_annotated
    with library(ctx) as lib:
        try:
            ids = lib.export.select(query, Filter(tag=tag, annotated=annotated))
        except QueryError as exc:
            fail(f"bad query: {exc}", 2)
        if vault:
            _vault_report(lib.export.vault(output, ids))  # type: ignore[arg-type]
            return
        if fmt == "markdown":
            text = "\n".join(doc for _, doc in lib.export.markdown(ids))
        elif fmt == "csv":
            text = lib.export.csv(ids)
        else:
            data = lib.export.json(ids) if fmt == "json" else lib.export.w3c(ids)
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        lib.export.write_file(output, text)
        out(f"wrote {output}")


def _vault_report(report: VaultReport) -> None:
    """The counts, then a line per rename, removal, kept file and refusal (exit 1 if any
    file was refused)."""
    from tui.reports import Lines, print_report

    counts = ", ".join(f"{n} {what}" for what, n in report.counts().items())
    details = [f"  renamed: {old.name} -> {new.name}" for old, new in report.renamed]
    details += [f"  removed: {path}" for path in report.removed]
    details += [f"  {why}" for why in report.kept]
    details += [f"  not written: {why}" for why in report.refused]
    print_report(Lines(
        "Export", f"{report.folder}: {counts}", tuple(details), errors=tuple(report.refused),
        exit_code=int(bool(report.refused)), summary_at="start",
    ))  # fmt: skip


@cli.command("import-annotations")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@click.pass_context
def import_annotations(ctx: click.Context, path: Path, as_json: bool) -> None:
    """Import notes from gloss JSON or W3C Web Annotation JSON-LD."""

    with library(ctx) as lib:
        report = lib.import_annotations(path)
    from tui.reports import annotation_lines, print_report

    print_report(annotation_lines(report), report.to_json() if as_json else None)


@cli.command()
@click.option("--full", is_flag=True, help="Run the slower, complete integrity_check.")
@click.pass_context
def check(ctx: click.Context, full: bool) -> None:
    """Check the library file for damage (SQLite's quick_check, or integrity_check)."""
    with library(ctx) as lib:
        rows = lib.check(full)
    if rows == ["ok"]:
        out(f"{lib.path}: ok")
        return
    for row in rows[:20]:
        out(f"{lib.path}: {row}")
    fail(damaged(lib.path, sqlite3.DatabaseError(f"{len(rows)} problems found")))


# the feed and annotation commands, in modules of their own
from tui import cli_config, cli_entities, cli_feeds, cli_notes  # noqa: E402

cli_config.register(cli)
cli_feeds.register(cli)
cli_notes.register(cli)
cli_entities.register(cli, entities)


def run() -> None:
    """Run the command tree; click's own failures (usage, --help, --version) end here."""
    try:
        cli.main(standalone_mode=False, prog_name="gloss")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        fail("aborted", 130)
