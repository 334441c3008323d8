"""HTML import through trafilatura, on pages carrying real-world clutter."""

from __future__ import annotations

import subprocess
import sys

import pytest

from store import Library
from store.core.errors import ImportFailed
from store.ingest.parse import parse_file
from store.ingest.parse.html import TABLE_SEP, lay_out_fragment, parse_html
from tests.conftest import ARTICLES, FIXTURES, ROOT

HTML = FIXTURES / "html"


def test_clutter_page() -> None:
    p = parse_file(FIXTURES / "html" / "clutter_page.html")
    assert p.title == "Tram line extension approved after decade of debate"
    assert p.byline == "Tomasz Wrobel"
    assert p.published == "2026-03-14"
    assert p.url == "https://news.example.com/2026/03/14/tram-line"
    assert "TRACKING SCRIPT TEXT" not in p.text
    assert "This comment should not appear" not in p.text
    assert "cookies" not in p.text.lower()
    assert len(p.sections) == 2
    assert len(p.text.split()) > 300


def test_shipped_html_article() -> None:
    p = parse_file(ARTICLES / "003_river_flood_rescue.html")
    assert p.title.startswith("Volunteers rescue 40 residents")
    assert p.byline == "Jane Holloway"
    assert p.published == "2026-02-09"
    assert [s.title for s in p.sections] == ["A night on the water", "Questions over the barriers"]
    assert not p.text.startswith("Volunteers rescue")  # the <h1> is the title, not body


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Only a title</title></head><body></body></html>",
        "<html><body><script>var x = 'no text here';</script><style>p {}</style></body></html>",
        "<html><head><title>Cut",
    ],
)
def test_page_without_any_text_is_refused(page: str) -> None:
    with pytest.raises(ImportFailed, match="no article text"):
        parse_html(page)


def test_markup_in_html_arrives_as_plain_text(tmp_path) -> None:
    body = " ".join(["Plain words in a long enough paragraph for extraction."] * 12)
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>[bold red]Loud[/bold red]</title></head><body><article>"
        f"<h1>[bold red]Loud[/bold red]</h1><p>{body} [link=http://evil.test]x[/link]</p>"
        "<p>&#27;]52;c;Zm9v&#7; escape as entity</p></article></body></html>"
    )
    p = parse_file(page)
    assert p.title == "[bold red]Loud[/bold red]"
    assert "[link=http://evil.test]x[/link]" in p.text
    assert "\x1b" not in p.text and "\x07" not in p.text


# -- character references --------------------------------------------------------------------


def test_numeric_character_references_arrive_as_characters() -> None:
    p = parse_file(HTML / "news_entities.html")
    assert p.title == "Council approves “wedding announcement” fee — and a new bridge"
    assert p.byline == "Priya Nārāyan"
    assert p.text.startswith(
        "The town council voted 7–2 on Thursday to charge £15 for printing a wedding "
        "announcement in the civic newsletter"
    )
    for kept in [
        "called the fee “a tax on happiness”, but",  # &#147; &#148;: cp1252, as browsers read
        "costs €40,000 a year",
        "at Pont‑y‑Felin, at a cost of £2.1\xa0million",  # &#160; is kept as U+00A0
        "Residents' groups",
        'had been "the first time our names were in print"',
        "lower than the $25 charged by the regional paper & that notices",
        "on the council’s website & at the library",
        "≈£3,000 a year, or ½ of the printing budget, and that x < y in every scenario",
    ]:
        assert kept in p.text
    for debris in ["60;", "217;", "220;", "014;", "8;", "&#", "&amp;"]:
        assert debris not in p.text and debris not in p.title


def test_feed_like_references_in_a_page(tmp_path) -> None:
    body = " ".join(["Words of a long enough paragraph for the extractor to keep."] * 8)
    page = (
        "<html><head><title>&#8220;Quoted&#8221; AT&#38;T&#8217;s day&#x2026;</title></head>"
        f"<body><article><p>{body}</p><p>A&#160;B&#xA0;C &#8220;D&#8221; &#x2014; E&#38;F "
        "&#0000065;&#x00042 G&#27;[2JH&#x1b;I&#128;</p></article></body></html>"
    )
    p = parse_html(page)
    assert p.title == "“Quoted” AT&T’s day…"
    assert p.text.endswith("A B C “D” — E&F AB G[2JHI€")


# -- plain text with structure, no markup debris -------------------------------------------


def no_debris(text: str) -> None:
    for debris in ["<", ">", "**", "##", "|", "&#", "\\*", "\\_"]:
        assert debris not in text, debris


def test_encyclopedia_page_tables_footnotes_lists() -> None:
    p = parse_file(HTML / "encyclopedia_lighthouse.html")
    assert p.title == "Skerryvore Lighthouse"
    assert [(s.title, s.level) for s in p.sections] == [
        ("History[edit]", 2), ("Construction", 3), ("Keepers", 3)
    ]  # fmt: skip
    no_debris(p.text)
    assert p.text.startswith(
        "Skerryvore Lighthouse\nLocation · Skerryvore, Inner Hebrides, Scotland\n"
        "Constructed · 1838–1844\nHeight · 48 m (156 ft)\n"
    )
    assert "“the noblest of all extant deep-sea lights”.[1] It was designed" in p.text
    assert (
        "\n\nBuilding seasons\nSeason · Work done · Courses laid\n"
        "1838 · Barrack built and lost in a gale · 0\n"
        "1839–1840 · Foundation pit cut, new barrack · 2\n"
    ) in p.text
    assert (
        "Duties included:\n\n• trimming the wicks and cleaning the lens before sunset,\n\n"
        "• keeping the light burning through the night in four-hour watches,\n\n"
    ) in p.text
    for start, end in p.paragraphs:
        assert p.text[start:end] == p.text[start:end].strip() and "\n\n" not in p.text[start:end]


def test_lists_code_and_inline_formatting() -> None:
    p = parse_file(HTML / "howto_lists_code.html")
    no_debris(p.text)
    assert p.title == "How I back up a home server with restic"
    assert [s.title for s in p.sections] == [
        "What you need", "Setting up the repository", "Keeping it running"
    ]  # fmt: skip
    assert "it costs me about £3 a month." in p.text  # <strong>: its text only
    assert (
        "• The restic program, version 0.16 or later.\n\n"  # inline <code>: its text only
        "◦ Debian and Ubuntu: from the package archive.\n\n"
        "◦ Everything else: a single binary from the releases page."
    ) in p.text
    assert (
        "\n\nexport RESTIC_REPOSITORY=s3:https://s3.example.net/my-backups\n"
        "export RESTIC_PASSWORD_FILE=/root/.restic-password\nrestic init\n\n"
    ) in p.text
    assert (
        "2. Prune old snapshots weekly with restic forget --keep-daily 7 --keep-weekly 5 "
        "--prune.\n\n3. Once a month"
    ) in p.text
    assert f"Job{TABLE_SEP}When{TABLE_SEP}Takes\nbackup{TABLE_SEP}daily, 03:00" in p.text
    assert "Great write-up" not in p.text  # the comments


def test_results_table_rows_are_lines_of_cells() -> None:
    p = parse_file(HTML / "sports_results_table.html")
    no_debris(p.text)
    assert (
        "Results from the senior races:\n\n"
        "Pos · Athlete · Club · Time\n"
        "1 · Ellie Marsh · Northfield Harriers · 27:14\n"
        "2 · Hannah Cole · Castleford AC · 27:55\n"
        "3 · Jo Patel · Northfield Harriers · 28:02\n"
        "Senior men\n"
        "1 · Tom Adeyemi · Castleford AC · 33:40\n"
    ) in p.text


def test_spaces_between_inline_elements_are_kept() -> None:
    words = " ".join(["Words of a long enough paragraph for the extractor to keep."] * 8)
    p = parse_html(
        f"<html><body><article><h1>Inline</h1><p>{words}</p><ul>"
        "<li>a <b>bold</b> <i>word</i> <em>and</em> <code>code</code> end</li>"
        "<li>he said <q>no</q> twice</li><li>x<sup>2</sup> and H<sub>2</sub>O</li></ul>"
        "</article></body></html>"
    )
    assert p.text.endswith("• a bold word and code end\n\n• he said no twice\n\n• x2 and H2O")


@pytest.mark.parametrize(
    "nested",
    ["<ul><li>level " * 3000 + "deep" + "</li></ul>" * 3000,
     "<div><blockquote>level " * 2000 + "inner" + "</blockquote></div>" * 2000,
     "<table><tr><td>level " * 1000 + "cell" + "</td></tr></table>" * 1000],
)  # fmt: skip
def test_deeply_nested_page_imports(tmp_path, nested: str) -> None:
    """lxml's HTML parser stops nesting at 255 levels; gloss walks what it gets, flattening
    below 40 levels, and keeps all that trafilatura alone keeps."""
    from bench.html_retention import measure

    words = "Words of a long enough paragraph for the extractor to keep. " * 8
    page = tmp_path / "deep.html"
    page.write_text(f"<html><body><article><p>{words}</p>{nested}</article></body></html>")
    p = parse_file(page)
    assert p.text.startswith(words.strip() + "\n\n")
    assert p.text.count("level") > 40
    assert measure(page)["kept_without_comments"] == 1.0


# -- every page with text is imported --------------------------------------------------------


def test_page_without_title_takes_its_first_heading() -> None:
    p = parse_file(HTML / "blog_no_title.html")
    assert p.title == "What survived"
    assert p.warnings == []
    assert p.text.startswith("The first frost came three weeks early this year")


def test_og_title_without_title_element() -> None:
    p = parse_file(HTML / "sports_results_table.html")
    assert p.title == "Harriers dominate county cross-country championships"
    assert p.published == "2026-01-11"


def test_page_without_title_or_heading_takes_its_first_line() -> None:
    p = parse_file(HTML / "plain_divs_no_headings.html")
    assert p.title == "Water board confirms hosepipe ban will end on Monday"
    assert p.warnings == ["no title in the page; the first line of the text is the title"]
    assert p.text.startswith(
        "Water board confirms hosepipe ban will end on Monday\n"
        "The regional water board said on Wednesday"
    )
    assert p.text.endswith("would publish its plans in the new year.")


def test_long_first_line_is_shortened_for_the_title() -> None:
    line = "A first line that goes on " + "and on " * 30 + "to the end."
    p = parse_html(f"<html><body><div><p>{line}</p><p>{line}</p></div></body></html>")
    assert p.title == "A first line that goes on " + "and on " * 13 + "and…"
    assert p.text == f"{line}\n\n{line}"


def test_headline_that_is_not_the_title_stays_in_the_text() -> None:
    words = " ".join(["Words of a long enough paragraph for the extractor to keep."] * 8)
    p = parse_html(
        '<html><head><meta property="og:title" content="Site front page"></head><body>'
        f"<article><h1>A different headline</h1><p>{words}</p></article></body></html>"
    )
    assert p.title == "Site front page"
    assert p.text.startswith("A different headline\n\nWords of")
    assert [(s.title, s.level) for s in p.sections] == [("A different headline", 1)]


def test_short_page_is_imported_with_a_warning() -> None:
    p = parse_file(HTML / "news_brief_short.html")
    assert p.title == "Ferry services cancelled as storm nears"
    assert p.text == (
        "All sailings between Oban and the islands are cancelled today as Storm Isha "
        "approaches, the operator said. Services are expected to resume on Tuesday."
    )
    assert p.warnings == ["short page: only 24 words of text"]


def test_cookie_banner_page_is_a_short_page() -> None:
    p = parse_file(HTML / "empty_page.html")  # trafilatura's only text is the banner
    banner = "We use cookies to improve your experience and to show you relevant advertising."
    assert p.text == banner
    assert p.warnings == ["short page: only 13 words of text"]


def test_headline_only_page_is_its_own_text() -> None:
    p = parse_html("<html><body><article><h1>Polls close at ten</h1></article></body></html>")
    assert (p.title, p.text) == ("Polls close at ten", "Polls close at ten")


def test_short_page_warning_reaches_the_import_report(
    fresh_lib: Library, tmp_path, analyzer
) -> None:
    page = tmp_path / "brief.html"
    page.write_bytes((HTML / "news_brief_short.html").read_bytes())
    report = fresh_lib.import_paths([page])
    assert report.count("imported") == 1
    assert report.warnings == [f"{page}: short page: only 24 words of text"]
    a = fresh_lib.get_article(report.results[0].article_id)
    assert a.title == "Ferry services cancelled as storm nears"


FIXTURE_PAGES = sorted(HTML.glob("*.html")) + sorted(ARTICLES.glob("*.html"))


@pytest.mark.parametrize("page", FIXTURE_PAGES, ids=lambda p: p.name)
def test_keeps_all_of_trafilaturas_main_text(page) -> None:
    """Every word trafilatura alone extracts (reader comments aside, as gloss leaves them out)
    is stored, and nothing of markup is."""
    from bench.html_retention import measure

    r = measure(page)
    assert r["missing_without_comments"] == [] and r["kept_without_comments"] == 1.0
    assert r["debris"] == {"<tag": 0, "**": 0, "#": 0, "|": 0, "&ref;": 0}
    assert not r["status"].startswith("refused")


def test_trafilatura_is_imported_only_to_parse_html() -> None:
    code = (
        "import sys\n"
        "import store, store.ingest.parse, store.ingest.parse.html\n"
        "import store.ingest.refresh, store.ingest.fetch\n"
        "import store.ingest.feeds, store.ingest.importer, store.library\n"
        "from store.ingest.parse import parse_bytes\n"
        "parse_bytes(b'Title\\n\\nSome text.', 'text')\n"
        "assert 'trafilatura' not in sys.modules, 'loaded before any HTML'\n"
        "from store.ingest.parse.html import parse_html\n"
        "parse_html('<html><body><p>Some text of a page.</p></body></html>')\n"
        "assert 'trafilatura' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_feed_entry_fragment_is_laid_out_like_a_page() -> None:
    words = " ".join(["Words of a long enough entry for the extractor to keep as text."] * 6)
    entry = (
        f"<h1>Entry head</h1><p>{words}</p><p>A <b>bold</b> <i>claim</i> with a note<sup>[1]"
        "</sup>.</p><table><tr><th>Party</th><th>Seats</th></tr><tr><td>Greens</td><td>12</td>"
        "</tr></table><ul><li>one</li><li>two &#8220;quoted&#8221;</li></ul>"
    )
    builder, headline = lay_out_fragment(entry, None)
    assert headline == "Entry head"
    assert builder.text == (
        f"{words}\n\nA bold claim with a note[1].\n\nParty · Seats\nGreens · 12\n\n"
        "• one\n\n• two “quoted”"
    )
    builder, headline = lay_out_fragment(entry, "Another title")
    assert headline is None and builder.text.startswith("Entry head\n\nWords of")


def test_short_page_with_inline_formatting_keeps_its_paragraphs() -> None:
    """A page too short for trafilatura's main-text pass falls back to its baseline; with
    formatting off that fallback broke every paragraph at each inline element."""
    page = (
        "<html><head><title>Bridge</title></head><body><article><p>The <b>council</b> voted"
        " <em>7 to 2</em> on <a href=x>Tuesday</a> to close the <i>old</i> bridge.</p>"
        "<p>Works start in <b>May</b>.</p></article></body></html>"
    )
    p = parse_html(page)
    assert p.text == (
        "The council voted 7 to 2 on Tuesday to close the old bridge.\n\nWorks start in May."
    )


def test_a_page_of_too_many_tags_is_refused_in_one_line() -> None:
    page = "<html><body>" + "<p>x</p>" * 50_001 + "</body></html>"  # an open and a close tag each
    with pytest.raises(
        ImportFailed, match=r"^page too complex \(100,006 tags; the limit is 100,000\)$"
    ):
        parse_html(page)


def test_an_over_long_title_is_cut_with_a_warning() -> None:
    body = " ".join(["Words of a long enough paragraph for the extractor to keep."] * 8)
    page = f"<html><head><title>{'Long ' * 200}</title></head><body><p>{body}</p></body></html>"
    p = parse_html(page)
    assert len(p.title) == 500 and p.title.endswith("…")
    assert "title cut to 500 characters (it had 999)" in p.warnings
