"""`gloss note`, `highlight`, `edit-note`, `delete-note`, `notes`, `tag`, `tags`, `read`,
`unread`, `star` and `unstar`: thin click commands over the annotation methods of
`store.Library`. Registered on the main group by `register(cli)`."""

from __future__ import annotations

import click

from store.core.errors import InvalidInput
from store.core.models import Note
from tui.cli_base import article_arg, emit, json_option, library, out

COMMANDS: list[click.Command] = []


def command(*args, **kwargs):
    """`click.command`, also listed for `register`."""

    def decorate(f):
        cmd = click.command(*args, **kwargs)(f)
        COMMANDS.append(cmd)
        return cmd

    return decorate


def note_lines(n: Note) -> list[str]:
    kind = "highlight" if n.is_highlight else "note"
    head = f"{n.id} {kind} on {n.article_id[:8]}" + ("  CONFLICT" if n.conflict else "")
    if n.orphan:
        head += "  ORPHANED"
    lines = [head]
    if n.anchor or n.orphan:
        quote = (n.anchor or n.orphan).exact  # type: ignore[union-attr]
        lines.append(f"  > {' '.join(quote.split())}")
    if n.conflict:
        for i, v in enumerate(n.versions, 1):
            lines.append(f"  version {i}: {v}")
    elif n.body:
        lines += [f"  {ln}" for ln in n.body.splitlines()]
    return lines


@command()
@click.argument("article")
@click.argument("text")
@click.option("--quote", help="Anchor the note to this passage of the article.")
@json_option
@click.pass_context
def note(ctx: click.Context, article: str, text: str, quote: str | None, as_json: bool) -> None:
    """Write a note on an article, or on a passage of it with --quote."""
    with library(ctx) as lib:
        aid = article_arg(lib, article)
        if quote is not None:
            start, end = lib.find_quote(aid, quote)
            n = lib.add_note(aid, text, start, end)
        else:
            n = lib.add_note(aid, text)
    if as_json:
        emit(n.to_json())
    else:
        out(f"noted {n.id}")


@command()
@click.argument("article")
@click.option("--quote", required=True, help="The passage to highlight.")
@json_option
@click.pass_context
def highlight(ctx: click.Context, article: str, quote: str, as_json: bool) -> None:
    """Highlight a passage of an article."""
    with library(ctx) as lib:
        aid = article_arg(lib, article)
        n = lib.highlight(aid, *lib.find_quote(aid, quote))
    if as_json:
        emit(n.to_json())
    else:
        out(f"highlighted {n.id}")


@command("edit-note")
@click.argument("note_id")
@click.argument("text")
@json_option
@click.pass_context
def edit_note(ctx: click.Context, note_id: str, text: str, as_json: bool) -> None:
    """Replace a note's text (this also resolves a conflict)."""
    with library(ctx) as lib:
        n = lib.edit_note(lib.resolve_note(note_id), text)
    if as_json:
        emit(n.to_json())
    else:
        out(f"edited {n.id}")


@command("delete-note")
@click.argument("note_id")
@click.pass_context
def delete_note(ctx: click.Context, note_id: str) -> None:
    """Delete a note or highlight (its history is kept for sync)."""
    with library(ctx) as lib:
        full = lib.resolve_note(note_id)
        lib.delete_note(full)
    out(f"deleted {full}")


@command()
@click.argument("article", required=False)
@click.option("--conflicts", is_flag=True, help="Only notes edited on two machines at once.")
@json_option
@click.pass_context
def notes(ctx: click.Context, article: str | None, conflicts: bool, as_json: bool) -> None:
    """List notes and highlights, of one article or all."""
    with library(ctx) as lib:
        aid = article_arg(lib, article) if article else None
        rows = lib.notes(aid, conflicts=conflicts)
    if as_json:
        emit([n.to_json() for n in rows])
    else:
        for n in rows:
            for line in note_lines(n):
                out(line)


@command(context_settings={"ignore_unknown_options": True})
@click.argument("article")
@click.argument("changes", nargs=-1, required=True, type=click.UNPROCESSED)
@json_option
@click.pass_context
def tag(ctx: click.Context, article: str, changes: tuple[str, ...], as_json: bool) -> None:
    """Add (+name or name) and remove (-name) tags; nest with '/' (world/asia)."""
    add = [c[1:] if c.startswith("+") else c for c in changes if not c.startswith("-")]
    remove = [c[1:] for c in changes if c.startswith("-")]
    if any(not c for c in add + remove):
        raise InvalidInput("empty tag name")
    with library(ctx) as lib:
        tags = lib.tag(article_arg(lib, article), add, remove)
    if as_json:
        emit(list(tags))
    else:
        out(" ".join(tags) if tags else "(no tags)")


def _flag_command(name: str, doc: str, setter: str, value: bool) -> None:
    @command(name, help=doc)
    @click.argument("articles", nargs=-1, required=True)
    @click.pass_context
    def set_flag(ctx: click.Context, articles: tuple[str, ...]) -> None:
        with library(ctx) as lib:
            for prefix in articles:
                getattr(lib, setter)(article_arg(lib, prefix), value)


_flag_command("read", "Mark articles read.", "set_read", True)
_flag_command("unread", "Mark articles unread.", "set_read", False)
_flag_command("star", "Star articles.", "set_starred", True)
_flag_command("unstar", "Unstar articles.", "set_starred", False)


@command("tags")
@json_option
@click.pass_context
def tags_cmd(ctx: click.Context, as_json: bool) -> None:
    """List tags with their article counts."""
    with library(ctx) as lib:
        rows = lib.tags()
    if as_json:
        emit([{"tag": t, "count": c} for t, c in rows])
    else:
        for t, c in rows:
            out(f"{c:>5}  {t}")


def register(cli: click.Group) -> None:
    """Add the annotation commands to the main command group."""
    for cmd in COMMANDS:
        cli.add_command(cmd)
