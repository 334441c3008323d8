"""`gloss entity-fix`, `gloss entities corrections` and `gloss entities export-training`:
thin click commands over the entity corrections of `store.Library`. `gloss entities` is a
group whose default command lists entities (`gloss entities [ARTICLE]`); registered by
`register(cli, entities)`."""

from __future__ import annotations

from pathlib import Path

import click

from store.core.errors import InvalidInput
from store.core.models import Entity
from tui.cli_base import article_arg, emit, json_option, library, out
from tui.words import plural


class EntitiesGroup(click.Group):
    """A group with a default command: `gloss entities [ARTICLE] [options]` runs `list`,
    `gloss entities corrections` a subcommand (an article id is hex: never one's name)."""

    default = "list"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] != "--help"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@click.command("corrections")
@click.argument("article", required=False)
@json_option
@click.pass_context
def corrections(ctx: click.Context, article: str | None, as_json: bool) -> None:
    """Entity corrections, latest first (of one article, or of every current one)."""
    with library(ctx) as lib:
        rows = lib.corrections(article_arg(lib, article) if article else None)
    if as_json:
        emit([c.to_json() for c in rows])
        return
    for c in rows:
        what = f"{c.kind} {c.value}" if c.value else c.kind
        status = "" if c.applied else "  (not applied: the text changed)"
        out(f"{c.id}  {c.article_id[:8]}  {c.start}..{c.end} {c.exact!r}  {what}{status}")


@click.command("export-training")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Base name: writes OUTPUT.spacy (a DocBin) and OUTPUT.jsonl.")  # fmt: skip
@json_option
@click.pass_context
def export_training(ctx: click.Context, output: Path, as_json: bool) -> None:
    """Every corrected article as spaCy training data (.spacy DocBin and .jsonl)."""
    base = output.with_suffix("") if output.suffix in (".spacy", ".jsonl") else output
    with library(ctx) as lib:
        counts = lib.export_training(base)
    if as_json:
        emit({**counts, "spacy": f"{base}.spacy", "jsonl": f"{base}.jsonl"})
    else:
        skipped = f", {counts['skipped']} overlapping left out" if counts["skipped"] else ""
        spans = counts["spans"]
        entities = f"{spans:,} entit{'y' if spans == 1 else 'ies'}"
        out(f"{plural(counts['docs'], 'article')}, {entities}{skipped}: {base}.spacy,"
            f" {base}.jsonl")  # fmt: skip


@click.command("entity-fix")
@click.argument("article")
@click.option("--quote", help="The entity's text (its first mention, or with --every all).")
@click.option("--span", help="START:END, character offsets, instead of --quote.")
@click.option("--every", is_flag=True, help="Every entity mention with the quote's text.")
@click.option("--label", help="Relabel it (or mark the passage as an entity) with LABEL.")
@click.option("--remove", is_flag=True, help="It is not an entity.")
@click.option("--alias", help="It is another name of the entity named ALIAS here.")
@click.option("--split", is_flag=True, help="It is an entity of its own.")
@click.option("--name", help="Name its entity NAME ('' for the automatic name).")
@click.option("--reset", is_flag=True, help="Back to the model's output (label and group).")
@json_option
@click.pass_context
def entity_fix(ctx: click.Context, article: str, quote: str | None, span: str | None,
               every: bool, label: str | None, remove: bool, alias: str | None, split: bool,
               name: str | None, reset: bool, as_json: bool) -> None:  # fmt: skip
    """Correct an entity of an article (kept over re-analysis and synced)."""
    chosen = [(k, v) for k, v in (("label", label), ("remove", remove or None),
              ("alias", alias), ("split", split or None), ("name", name),
              ("reset", reset or None)) if v is not None]  # fmt: skip
    if len(chosen) != 1:
        raise InvalidInput(
            "give exactly one of --label, --remove, --alias, --split, --name, --reset"
        )
    kind, value = chosen[0]
    with library(ctx) as lib:
        aid = article_arg(lib, article)
        spans = _spans(lib, aid, quote, span, every, marking=kind == "label")
        done = [
            lib.correct_entity(aid, s, e, kind, value if isinstance(value, str) else None)
            for s, e in spans
        ]
    if as_json:
        emit([c.to_json() for c in done])
    else:
        for c in done:
            out(f"{c.id}  {c.start}..{c.end} {c.exact!r}: {c.kind} {c.value or ''}".rstrip())


def _spans(lib, aid: str, quote: str | None, span: str | None, every: bool,
           marking: bool) -> list[tuple[int, int]]:  # fmt: skip
    """The spans to correct: --span, or the quote's entity mentions (the first, or every
    one); a passage that is no mention yet can be marked (--label) where it first is."""
    if (quote is None) == (span is None):
        raise InvalidInput("give --quote TEXT or --span START:END")
    if span is not None:
        try:
            s, e = (int(x) for x in span.split(":"))
        except ValueError:
            raise InvalidInput(f"--span {span!r} is not START:END") from None
        return [(s, e)]
    ents: tuple[Entity, ...] = lib.get_article(aid).entities
    found = [(x.start, x.end) for x in ents if x.text == quote]
    if found:
        return found if every else found[:1]
    if marking:
        return [lib.find_quote(aid, quote)]
    raise InvalidInput(f"no entity {quote!r} in the article; mark it first with --label")


def register(cli: click.Group, entities: click.Group) -> None:
    """Add these commands to the `gloss` group and its `entities` group."""
    entities.add_command(corrections)
    entities.add_command(export_training)
    cli.add_command(entity_fix)
