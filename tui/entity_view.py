"""`gloss entity NAME`: an entity's page as Rich `Text` (totals, a bar chart of its articles
by month, co-mentions, its articles with the sentence of their first mention, and the notes
on passages mentioning it). Styled on a terminal, plain lines to a pipe, as `gloss show`.

Names, titles, sentences and notes are data: styles are applied by range, never parsed.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from store.core.sanitize import clean
from store.find.entity_page import EntityPage
from tui.render import entity_style
from tui.words import plural

BAR_WIDTH = 40
MONTHS_SHOWN = 36
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(n: int, most: int, width: int = BAR_WIDTH) -> str:
    """A bar of `n` against `most` in `width` cells, to an eighth of a cell; a count above
    zero shows at least a sliver."""
    if n <= 0 or most <= 0:
        return ""
    eighths = max(1, round(n * width * 8 / most))
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def months(timeline: tuple[tuple[str, int], ...]) -> list[tuple[str, int]]:
    """Every month from the first to the last of `timeline` (a gap is a month with none)."""
    if not timeline:
        return []
    have = dict(timeline)
    y, m = int(timeline[0][0][:4]), int(timeline[0][0][5:7])
    last = timeline[-1][0]
    out = []
    while True:
        month = f"{y:04d}-{m:02d}"
        out.append((month, have.get(month, 0)))
        if month >= last:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def timeline_lines(page: EntityPage) -> list[str]:
    """The bar chart: a line per month (the last MONTHS_SHOWN; what came before in one
    line)."""
    rows = months(page.timeline)
    lines = []
    if len(rows) > MONTHS_SHOWN:
        before = sum(n for _, n in rows[:-MONTHS_SHOWN])
        lines.append(f"before {rows[-MONTHS_SHOWN][0]}: {plural(before, 'article')}")
        rows = rows[-MONTHS_SHOWN:]
    most = max((n for _, n in rows), default=0)
    lines += [f"{m}  {bar(n, most):<{BAR_WIDTH}} {n:,}".rstrip() for m, n in rows]
    return lines


def entity_page_text(page: EntityPage) -> Text:
    """What `gloss entity` prints, as one Text."""
    out = Text()
    out.append(page.name, style="bold")
    out.append("  ")
    out.append(f" {page.label} ", style=entity_style(page.label))
    out.append("\n")
    out.append(
        f"{plural(page.articles, 'article')} · {plural(page.mentions, 'mention')}\n", style="dim"
    )
    others = [s for s in page.spellings if s != page.name]
    if others:
        out.append("also written: " + ", ".join(others) + "\n", style="dim")
    for label, n in page.other_labels:
        out.append(f"also as {label} in {plural(n, 'article')} (--label {label})\n", style="dim")
    out.append("\nArticles by month\n", style="bold")
    for line in timeline_lines(page):
        out.append(line + "\n")
    if page.comentions:
        newest = plural(page.comention_articles, "article")
        out.append(f"\nMentioned with (in its newest {newest})\n", style="bold")
        for c in page.comentions:
            out.append(f"{c.articles:>6}  ")
            out.append(f"{c.label:<12}", style=entity_style(c.label))
            out.append(f" {c.text}\n")
    first, last = page.offset + 1, page.offset + len(page.items)
    span = (
        f"{first:,}–{last:,} of {page.articles:,}" if page.items else f"none of {page.articles:,}"
    )
    out.append(f"\nArticles ({span}, newest first)\n", style="bold")
    for item in page.items:
        s = item.summary
        date = (s.published or s.imported_at)[:10]
        out.append(f"{date}  {s.id[:8]}  ", style="dim")
        out.append(s.title, style="bold")
        out.append(f"  ({item.mentions} mentions)\n" if item.mentions > 1 else "\n", style="dim")
        if item.sentence:
            line = Text("    " + item.sentence.strip())
            lead = 4 - (len(item.sentence) - len(item.sentence.lstrip()))
            if item.start >= 0:
                line.stylize(entity_style(page.label), item.start - item.sentence_start + lead,
                             item.end - item.sentence_start + lead)  # fmt: skip
            out.append_text(line)
            out.append("\n")
    if page.notes:
        where = "" if page.notes_complete else f", in its newest {page.note_articles:,} annotated"
        out.append(f"\nNotes on passages mentioning it ({len(page.notes)}{where})\n",
                   style="bold")  # fmt: skip
        for en in page.notes:
            n = en.note
            out.append(("highlight " if n.is_highlight else "note ") + n.id, style="bold")
            out.append(" on ")
            out.append(en.title + "\n", style="italic")
            if n.anchor is not None:
                out.append("> " + " ".join(n.anchor.exact.split()) + "\n", style="italic")
            for body in n.versions if n.conflict else ((n.body,) if n.body else ()):
                out.append(body + "\n")
    out.rstrip()
    return out


def print_entity_page(page: EntityPage, console: Console | None = None) -> None:
    """Print the page: styled on a terminal; plain lines to a file or a pipe."""
    console = console or Console(highlight=False, markup=False, emoji=False)
    text = entity_page_text(page)
    if console.is_terminal:
        console.print(text)
    else:
        lines = clean(text.plain).split("\n")
        console.file.write("\n".join(line.rstrip() for line in lines) + "\n")
