"""Entity intelligence in the TUI (#15): groups in the reader, the entity page and the
library's entity list, and corrections made in the reader."""

from __future__ import annotations

import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList

from store.core.codec import BUILTIN_LABELS
from tests.tui.conftest import opened, screen_text, settle
from tests.tui.test_reader import PUTIN, SIZE, open_article, view_of
from tui.app import GlossApp
from tui.charts import MonthChart, columns
from tui.groups import GroupRow
from tui.screens import entity_page
from tui.screens.entities import EntitiesScreen
from tui.screens.entity_dialogs import ChoiceScreen, ValuePrompt
from tui.screens.entity_page import EntityPageScreen
from tui.screens.reader import ReaderScreen
from tui.widgets.article_view import ArticleView, entity_style
from tui.widgets.entities_panel import EntitiesPanel

PERSON_BG = "#aa9cfc"


def panel_rows(panel: EntitiesPanel) -> list[GroupRow]:
    return [n.data for n in panel.root.children if n.data is not None]


async def open_panel(pilot: Pilot) -> EntitiesPanel:
    await pilot.press("E")
    await settle(pilot)
    panel = pilot.app.screen.query_one(EntitiesPanel)
    assert pilot.app.focused is panel
    return panel


def styles_at(view: ArticleView, start: int, end: int) -> list[object]:
    """The styles the view gives the span [start, end) (on any row)."""
    return [st for spans in view._spans.values() for s, e, st in spans
            if (s, e) == (start, end)]  # fmt: skip


async def test_the_panel_lists_one_row_per_group(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, PUTIN)
        panel = await open_panel(pilot)
        rows = [(g.canonical, g.label, g.count, g.aliases) for g in panel_rows(panel)]
        assert rows[:4] == [
            ("Xi Jinping", "PERSON", 12, ("Xi", "Xi Jinping’s")),
            ("China", "GPE", 7, ()),
            ("Russia", "GPE", 7, ()),
            ("Russian", "NORP", 5, ()),
        ]
        assert [r for r in rows if r[0] in ("Vladimir Putin", "Andrei Denisov")] == [
            ("Vladimir Putin", "PERSON", 5, ("Putin",)),
            ("Andrei Denisov", "PERSON", 2, ("Denisov",)),
        ]
        assert sum(1 for r in rows if r[0] == "Xi Jinping") == 1
        assert "Xi Jinping   PERSON   12  (Xi, Xi Jinping’s)" in screen_text(pilot)


async def test_mentions_take_their_groups_colour_and_the_legend_counts_groups(
    lib_path: Path,
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, PUTIN)
        text = screen.article.text  # type: ignore[union-attr]
        at = text.index("Uzbekistan", 1000)  # the model calls this one ORG
        org = [e for e in screen.article.entities if e.start == at]  # type: ignore[union-attr]
        assert [(e.label, e.canonical) for e in org] == [("ORG", "Uzbekistan")]
        view = view_of(pilot)
        assert styles_at(view, at, at + 10) == [entity_style("GPE")]  # its group's colour
        assert screen._labels() == [
            ("DATE", 14), ("GPE", 10), ("ORG", 10), ("CARDINAL", 5),
            ("PERSON", 5), ("NORP", 4), ("LOC", 2), ("ORDINAL", 2),
        ]  # fmt: skip
        assert "1  DATE 14" in screen_text(pilot)
        await pilot.press("2")  # GPE off: every mention of a GPE group, this one too
        assert view.hidden_labels == {"GPE"}
        assert styles_at(view, at, at + 10) == []
        assert "GPE 10 off" in screen_text(pilot)
        await pilot.press("2")
        assert styles_at(view, at, at + 10) == [entity_style("GPE")]


def page_of(pilot: Pilot) -> EntityPageScreen:
    screen = pilot.app.screen
    assert isinstance(screen, EntityPageScreen) and screen.page is not None
    return screen


def option_ids(screen: EntityPageScreen) -> list[str | None]:
    listing = screen.listing
    return [listing.get_option_at_index(i).id for i in range(listing.option_count)]


async def choose(pilot: Pilot, option_id: str) -> None:
    """Highlight the option `option_id` of the focused option list and press enter."""
    listing = pilot.app.focused
    assert isinstance(listing, OptionList)
    listing.highlighted = listing.get_option_index(option_id)
    await pilot.press("enter")
    await settle(pilot)


async def test_the_entity_page_from_the_panel(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, PUTIN)
        panel = await open_panel(pilot)
        assert panel_rows(panel)[0].canonical == "Xi Jinping"
        await pilot.press("enter")
        await settle(pilot)
        screen = page_of(pilot)
        page = screen.page
        assert (page.name, page.label, page.articles, page.mentions) == (
            "Xi Jinping", "PERSON", 1, 12)  # fmt: skip
        assert page.timeline == (("2026-01", 1),)
        text = screen_text(pilot)
        assert "1 article · 12 mentions" in text
        assert "2026-01" in text and "▕█" in text  # the month's column
        assert "Mentioned with (in its newest 1 article)" in text
        assert "2026-01-02  Putin Meets Xi Jinping  12 mentions" in text
        assert "Articles (1 of 1, newest first)" in text
        ids = option_ids(screen)
        assert ids[0] is None and ids[1] == "c0" and "a0" in ids and "more" not in ids
        await choose(pilot, "a0")  # the article, at its first mention: here already
        assert app.screen is reader and app.focused is reader.view
        text_ = reader.article.text  # type: ignore[union-attr]
        start, end = reader.view.selection_range()  # type: ignore[misc]
        assert text_.index("Xi Jinping") in range(start, end)


async def test_the_entity_page_of_the_mention_under_the_cursor(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, PUTIN)
        assert "p Entity" in screen_text(pilot)  # in the footer
        text = reader.article.text  # type: ignore[union-attr]
        reader.view.go_to(text.index("For Putin, it’s a chance"))
        await pilot.press("p")  # the only entity of the passage: its page at once
        await settle(pilot)
        screen = page_of(pilot)
        assert (screen.page.name, screen.page.label) == ("Vladimir Putin", "PERSON")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is reader
        reader.view.go_to(text.index("Putin is coping"))
        await pilot.press("p")  # a passage naming several: choose one
        await settle(pilot)
        chooser = app.screen
        assert isinstance(chooser, ChoiceScreen)
        assert [p.plain for p in chooser.prompts] == [
            "Vladimir Putin   PERSON   5 mentions  (Putin)",
            "Ukraine   GPE   4 mentions",
            "Russia   GPE   7 mentions",
        ]
        assert "Vladimir Putin   PERSON   5 mentions  (Putin)" in screen_text(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert (page_of(pilot).page.name, page_of(pilot).page.label) == ("Ukraine", "GPE")
        await pilot.press("escape")
        await settle(pilot)
        reader.view.go_to(text.index("Both have observed a decline"))
        await pilot.press("p")  # a passage without an entity
        await settle(pilot)
        assert app.screen is reader
        assert ("No entity in this passage.", "warning") in notices(app)


def notices(app: GlossApp) -> list[tuple[str, str]]:
    return [(str(n.message), n.severity) for n in app._notifications]


async def test_co_mentions_open_their_page_and_esc_goes_back(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, PUTIN)
        reader.open_entity("Xi Jinping", "PERSON")
        await settle(pilot)
        first = page_of(pilot)
        china = next(i for i, c in enumerate(first.page.comentions) if c.text == "China")
        await choose(pilot, f"c{china}")
        second = page_of(pilot)
        assert second is not first
        assert (second.page.name, second.page.label) == ("China", "GPE")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is first
        await choose(pilot, f"c{china}")
        await choose(pilot, "a0")  # an article from the second page closes both
        assert app.screen is reader


async def test_more_articles_come_a_page_at_a_time(lib_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(entity_page, "PAGE", 1)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, PUTIN)
        reader.open_entity("Portugal", "GPE")
        await settle(pilot)
        screen = page_of(pilot)
        assert screen.page.articles == 2 and len(screen.items) == 1
        assert "… 1 more (m)" in screen_text(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert len(screen.items) == 2 and "more" not in option_ids(screen)
        assert "Articles (2 of 2, newest first)" in screen_text(pilot)
        dates = [i.summary.published or i.summary.imported_at for i in screen.items]
        assert dates == sorted(dates, reverse=True)
        await choose(pilot, "a1")  # another article: opened in the reader, at the mention
        assert app.screen is reader
        article = reader.article
        assert article is not None and article.id == screen.items[1].summary.id
        start, end = reader.view.selection_range()  # type: ignore[misc]
        assert start <= screen.items[1].start < end


async def open_entity_list(pilot: Pilot) -> EntitiesScreen:
    await settle(pilot)
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*"Entities")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, EntitiesScreen)
    return screen


async def test_the_library_entity_list_names_first_with_a_toggle(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_entity_list(pilot)
        names = [(c.text, c.label, c.articles) for c in screen.entities]
        assert names[:3] == [
            ("Portugal", "GPE", 2),
            ("Asia", "LOC", 2),
            ("Xi Jinping", "PERSON", 1),
        ]
        assert not {c.label for c in screen.entities} & {"DATE", "CARDINAL", "ORDINAL"}
        assert "Numbers and dates" in screen_text(pilot)  # the toggle, in the footer
        await pilot.press("a")
        await settle(pilot)
        assert screen.all_labels
        assert {"DATE", "CARDINAL"} <= {c.label for c in screen.entities}
        await pilot.press("a")
        await settle(pilot)
        assert not {c.label for c in screen.entities} & {"DATE", "CARDINAL"}
        xi = next(i for i, c in enumerate(screen.entities) if c.text == "Xi Jinping")
        await choose(pilot, str(xi))
        page = page_of(pilot)
        assert page.page.name == "Xi Jinping"
        await choose(pilot, "a0")  # opens the reader over the list
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.article.id == PUTIN  # type: ignore[union-attr]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


MARKUP_NAME = "[bold]Acme[/bold] Holdings"


def add_markup_entity(path: Path, tmp: Path) -> str:
    """An article naming an entity whose text holds markup, marked ORG as the reader would."""
    (tmp / "markup").mkdir()
    (tmp / "markup" / "acme.txt").write_text(
        f"Acme news\n\nShares of {MARKUP_NAME} rose on Monday. Analysts cheered.\n",
        encoding="utf-8",
    )
    with opened(path) as lib:
        report = lib.import_paths([tmp / "markup"])
        [aid] = [r.article_id for r in report.results if r.status == "imported"]
        text = lib.get_article(aid).text
        at = text.index(MARKUP_NAME)
        lib.correct_entity(aid, at, at + len(MARKUP_NAME), "label", "ORG")
    return aid


async def test_a_name_holding_markup_shows_as_text(lib_path: Path, tmp_path: Path) -> None:
    aid = add_markup_entity(lib_path, tmp_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        listing = await open_entity_list(pilot)
        index = next(i for i, c in enumerate(listing.entities) if c.text == MARKUP_NAME)
        listing.listing.highlighted = index  # (scrolled into view)
        await pilot.pause()
        assert f"ORG   {MARKUP_NAME}  (1 mention)" in screen_text(pilot)
        await choose(pilot, str(index))
        page = page_of(pilot)
        text = screen_text(pilot)
        assert MARKUP_NAME in text.splitlines()[1] and "ORG" in text.splitlines()[1]
        assert "  Acme news" in text  # (its title; the date is the import's)
        await choose(pilot, "a0")
        reader = app.screen
        assert isinstance(reader, ReaderScreen) and reader.article.id == aid  # type: ignore[union-attr]
        assert page not in app.screen_stack
        panel = await open_panel(pilot)
        assert f"{MARKUP_NAME}   ORG   1" in screen_text(pilot)
        assert [g.canonical for g in panel_rows(panel)][:1] == [MARKUP_NAME]


FLOOD = "Volunteers rescue 40 residents as Severn floods Shrewsbury streets overnight"


def flood_id(path: Path) -> str:
    with opened(path) as lib:
        [aid] = [a.id for a in lib.list_articles() if a.title == FLOOD]
    return aid


async def fix(pilot: Pilot, where: str, entity: str | None, action: str | None = None,
              *typed: str) -> ReaderScreen:  # fmt: skip
    """Put the cursor on the passage holding `where`, press f, choose `entity` (None: mark
    words), then the action whose menu entry starts with `action`, and type each of `typed`
    (each then enter), or choose the entity it names."""
    reader = pilot.app.screen
    assert isinstance(reader, ReaderScreen) and reader.article is not None
    reader.view.go_to(reader.article.text.index(where))
    await pilot.press("f")
    await settle(pilot)
    menu = pilot.app.screen
    if not (entity is None and isinstance(menu, ValuePrompt)):  # (no entity: marking)
        assert isinstance(menu, ChoiceScreen)
        shown = [p.plain for p in menu.prompts]
        index = len(shown) - 1 if entity is None else next(
            i for i, p in enumerate(shown) if p.startswith(entity + "  "))  # fmt: skip
        await choose(pilot, str(index))
    if action is not None:
        actions = pilot.app.screen
        assert isinstance(actions, ChoiceScreen)
        [index] = [i for i, p in enumerate(actions.prompts) if p.plain.startswith(action)]
        await choose(pilot, str(index))
    for value in typed:
        if isinstance(pilot.app.screen, ChoiceScreen):  # an entity to choose
            shown = [p.plain for p in pilot.app.screen.prompts]
            await choose(pilot, str(next(i for i, p in enumerate(shown)
                                         if p.startswith(value + "  "))))  # fmt: skip
            continue
        assert isinstance(pilot.app.screen, ValuePrompt)
        await pilot.press(*value, "enter")
        await settle(pilot)
    assert pilot.app.screen is reader
    return reader


async def test_relabel_frankwell_and_find_the_correction(lib_path: Path, gloss) -> None:
    aid = flood_id(lib_path)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, aid)
        assert "f Fix" in screen_text(pilot)
        [frankwell] = [g for g in reader.groups if g.canonical == "Frankwell"]
        assert (frankwell.label, frankwell.count) == ("ORG", 4)
        await fix(pilot, "Frankwell and Coleham", "Frankwell", "Change its label", "LOC")
        assert ("Frankwell: 4 mentions relabelled LOC.", "information") in notices(app)
        [frankwell] = [g for g in reader.groups if g.canonical == "Frankwell"]
        assert (frankwell.label, frankwell.count) == ("LOC", 4)  # shown at once
        at = reader.article.text.index("Frankwell")  # type: ignore[union-attr]
        assert styles_at(reader.view, at, at + 9) == [entity_style("LOC")]
    with opened(lib_path) as lib:
        fixes = lib.corrections(aid)
    assert sorted((c.exact, c.kind, c.value, c.applied) for c in fixes) == [
        ("Frankwell", "label", "LOC", True)] * 4  # fmt: skip
    code, out, _ = gloss("entities", "corrections", "--json", db=lib_path)
    listed = json.loads(out)
    assert code == 0 and len(listed) == 4
    assert {(c["article_id"], c["exact"], c["kind"], c["value"]) for c in listed} == {
        (aid, "Frankwell", "label", "LOC")}  # fmt: skip


async def test_each_correction_kind_from_the_reader(lib_path: Path) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, PUTIN)

        def group(name: str) -> GroupRow:
            [found] = [g for g in reader.groups if g.canonical == name]
            return found

        await fix(pilot, "Putin is coping", "Vladimir Putin", "Split")  # "Putin" alone
        assert ("Putin: split out of Vladimir Putin.", "information") in notices(app)
        assert group("Vladimir Putin").count == 4 and group("Putin").count == 1
        await fix(pilot, "Putin is coping", "Putin", "Merge", "Vladimir Putin")  # back
        assert group("Vladimir Putin").count == 5
        assert ("Putin: 1 mention merged into Vladimir Putin.", "information") in notices(app)

        await fix(pilot, "Denisov quoted", "Andrei Denisov", "Rename", "\b" * 14 + "Denisov")
        assert ("Andrei Denisov renamed Denisov.", "information") in notices(app)
        assert group("Denisov").aliases == ("Andrei Denisov",)

        await fix(pilot, "Tass as adding", "Tass", "Change its label", "NOT A LABEL")
        assert [n for n in notices(app) if n[1] == "error"] == [(
            "label 'NOT A LABEL' is not a label: use one of " + ", ".join(BUILTIN_LABELS)
            + " or an upper-case word of at most 32 characters", "error")]  # fmt: skip
        assert group("Tass").label == "ORG"
        await fix(pilot, "Tass as adding", "Tass", "Not an entity")
        assert ("Tass: 1 mention removed.", "information") in notices(app)
        assert not [g for g in reader.groups if g.canonical == "Tass"]

        await fix(pilot, "Both have observed a decline", None, None, "the West", "loc")
        assert ("“the West” marked LOC.", "information") in notices(app)
        west = group("West")  # (named without "the")
        assert (west.label, west.count, west.mentions[0].text) == ("LOC", 1, "the West")

        await fix(pilot, "Both have observed a decline", "West", "Back to the model")
        assert ("West: 1 mention back to the model's output.", "information") in notices(app)
        assert not [g for g in reader.groups if g.canonical == "West"]
        aid = reader.article.id  # type: ignore[union-attr]
    with opened(lib_path) as lib:
        kinds = sorted(c.kind for c in lib.corrections(aid))
    assert kinds == ["alias", "label", "name", "remove", "reset", "split"]


async def test_the_page_lists_your_notes_on_passages_mentioning_it(lib_path: Path) -> None:
    quote = "According to a Russian official"  # (the sentence naming him in full: the
    # store's page finds a note by the entity's spellings, not yet by its group's aliases)
    with opened(lib_path) as lib:
        at = lib.get_article(PUTIN).text.index(quote)
        lib.add_note(PUTIN, "He needs [bold]allies[/bold].", at, at + len(quote))
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        reader = await open_article(pilot, lib_path, PUTIN)
        reader.open_entity("Vladimir Putin", "PERSON")
        await settle(pilot)
        screen = page_of(pilot)
        assert [n.note.body for n in screen.page.notes] == ["He needs [bold]allies[/bold]."]
        text = screen_text(pilot)
        assert "Your notes on passages mentioning it (1)" in text
        assert "note on Putin Meets Xi Jinping" in text
        assert "He needs [bold]allies[/bold]." in text
        await choose(pilot, "n0")  # the note's passage, in the reader
        assert app.screen is reader
        start, end = reader.view.selection_range()  # type: ignore[misc]
        assert start <= at < end


def test_the_month_chart_in_blocks() -> None:
    assert columns([0, 1, 2, 4], height=2) == ["   █", " ▄██"]  # 4, 8, 16 of 16 eighths
    assert columns([3], height=1) == ["█"] and columns([0, 0], height=1) == ["  "]
    chart = MonthChart([("2025-11", 2), ("2026-02", 1)], width=3, height=1)
    assert (chart.months, chart.counts, chart.before) == (["2025-12", "2026-01", "2026-02"],
                                                          [0, 0, 1], 2)  # fmt: skip
    assert chart.axis() == "2025-12 – 2026-02"  # (too narrow to put them under the columns)
