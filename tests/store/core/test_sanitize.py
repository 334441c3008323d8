"""Sanitising: hostile text is made inert, bad files are refused, the library stays intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import Library
from store.core.errors import ImportFailed, InvalidInput
from store.core.sanitize import MAX_FILE_BYTES, clean, clean_markup, decode, normalise_tag

HOSTILE = (
    "Hostile \x1b]52;c;ZXZpbA==\x07headline\n\n"
    "Clear \x1b[2Jthe screen, 8-bit \x9b31m CSI, bell \x07, [bold red]markup[/bold red], "
    "[/foo] and [link=http://evil.test]a link[/link], bidi \u202eevil\u202c, "
    "OSC 8 \x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\ done.\n\n"
    "Second paragraph with a tab\there.\r\nAnd CRLF line."
)


def test_clean_strips_controls_keeps_markup_literal() -> None:
    text = clean(HOSTILE)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in text)
    assert not any(0x7F <= ord(c) <= 0x9F for c in text)
    assert "\u202e" not in text
    assert "[2J" not in text and "52;c" not in text and "8;;" not in text
    assert "[bold red]markup[/bold red]" in text and "[/foo]" in text
    assert "\t" in text and "\r" not in text


def test_hostile_article_imports_inert(fresh_lib: Library, tmp_path: Path, analyzer) -> None:
    f = tmp_path / "hostile.txt"
    f.write_text(HOSTILE, encoding="utf-8")
    report = fresh_lib.import_paths([f])
    assert report.count("imported") == 1
    a = fresh_lib.get_article(report.results[0].article_id)
    assert a.title == "Hostile headline"
    for field in (a.title, a.text):
        assert not any(ord(c) < 32 and c not in "\n\t" for c in field)
        assert not any(0x7F <= ord(c) <= 0x9F for c in field)
    assert "[bold red]markup[/bold red]" in a.text
    assert "Clear the screen, 8-bit  CSI, bell , [bold red]" in a.text


def test_nfc_and_bom() -> None:
    assert decode("\ufeffcafe\u0301".encode()) == "cafe\u0301"
    assert clean("cafe\u0301") == "caf\u00e9"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"  \n\n ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"Title\n\ncaf\xe9 au lait", r"not valid UTF-8 \(byte 0xe9 at offset 10\)"),
        (b"x" * (MAX_FILE_BYTES + 1), "too large"),
    ],
)
def test_decode_refuses(data: bytes, reason: str) -> None:
    with pytest.raises(ImportFailed, match=reason):
        decode(data)


def test_bad_files_leave_library_intact(lib: Library, tmp_path: Path) -> None:
    before = (lib.count(), lib.stats(), lib.tags())
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 10)
    (bad / "latin1.txt").write_bytes("Titre\n\nUn café crème.".encode("latin-1"))
    (bad / "empty.md").write_bytes(b"")
    (bad / "truncated.html").write_bytes(b"<html><head><title>Cut")
    (bad / "huge.txt").write_bytes(b"Title\n\n" + b"w" * (MAX_FILE_BYTES - 6))
    (bad / "notes.pdf").write_bytes(b"%PDF-1.4")
    report = lib.import_paths([bad])
    reasons = {Path(r.path).name: r.reason for r in report.results}
    assert reasons == {
        "binary.txt": "binary file, not text",
        "empty.md": "empty file",
        "huge.txt": f"too large ({MAX_FILE_BYTES + 1:,} bytes; "
        f"the limit is {MAX_FILE_BYTES:,} bytes)",
        "latin1.txt": "not valid UTF-8 (byte 0xe9 at offset 13)",
        "truncated.html": "no article text found in the page",
    }
    assert report.skipped == 1  # notes.pdf
    assert (lib.count(), lib.stats(), lib.tags()) == before
    assert lib.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def test_too_long_text_is_refused(tmp_path: Path) -> None:
    from store.ingest.parse import parse_file

    f = tmp_path / "long.txt"
    f.write_text("Title\n\n" + ("word " * 210_000))
    with pytest.raises(ImportFailed, match="article text too long"):
        parse_file(f)


@pytest.mark.parametrize(
    "raw, tag",
    [("Politics", "politics"), (" World / Asia ", "world/asia"), ("new york", "new-york"),
     ("a//b/", "a/b"), ("Zürich", "zürich"), ("a b\x1b[2J", "a-b")],
)  # fmt: skip
def test_tag_normalisation(raw: str, tag: str) -> None:
    assert normalise_tag(raw) == tag


@pytest.mark.parametrize("raw", ["", "/", "\x1b[2J", "[bold]", "x" * 101, "semi;colon"])
def test_bad_tags(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_tag(raw)


def test_unterminated_escape_cannot_swallow_the_article() -> None:
    assert clean("before \x1b]8;;http://evil.test\nthe rest stays\n") == "before \nthe rest stays\n"
    assert clean("a\x9d0;title\nb") == "a\nb"


# -- character references in HTML and XML source ---------------------------------------------


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("wedding&#160;announcement", "wedding&#160;announcement"),
        ("it&#8217;s", "it&#8217;s"),
        ("&#8220;quoted&#8221;", "&#8220;quoted&#8221;"),
        ("a &#x2014; b", "a &#8212; b"),
        ("AT&#38;T", "AT&#38;T"),
        ("&#0000160;&#x000A0;&#XA0;", "&#160;&#160;&#160;"),
        ("&#160 no semicolon", "&#160; no semicolon"),
        ("&#x2014no semicolon", "&#8212;no semicolon"),
        ("&#65bc", "&#65;bc"),  # digits run as far as they go, as in HTML
        ("x &#60; y &#62; z", "x &#60; y &#62; z"),  # never decoded into markup
        ("&#146;s &#147;cp1252&#148;", "&#8217;s &#8220;cp1252&#8221;"),  # as HTML reads them
        ("a&#27;]52;c;Zm9v&#7;b", "a]52;c;Zm9vb"),
        ("a&#x1b;[2J&#X1B;b&#0000027c", "a[2Jbc"),
        ("&#0;&#1;&#8;&#11;&#12;&#31;&#127;&#x7F;&#128;&#x81;&#157;&#x9d;", "&#8364;"),
        ("&#8238;evil&#x202c;", "evil"),  # bidi overrides go, as their characters do
        ("tab&#9;nl&#10;cr&#13;", "tab&#9;nl&#10;cr&#10;"),
        ("&#xD800;&#x110000;&#99999999999999999999;", "&#65533;&#65533;&#65533;"),
        ("&#xFFFE;&#xfdd0;ok", "ok"),  # noncharacters: lxml drops the tree on &#xFFFE;
        ("&#x;&#;&amp;#27;", "&#x;&#;&amp;#27;"),  # not references: left alone
    ],
)
def test_clean_markup_character_references(raw: str, cleaned: str) -> None:
    assert clean_markup(raw) == cleaned


def test_huge_reference_is_not_an_error() -> None:
    assert clean_markup("&#" + "9" * 10_000 + ";x") == "&#65533;x"


def _as_html_reads(n: int) -> str:
    """What `&#n;` must become in stored text, by the HTML standard, minus what `clean` drops."""
    if 0x80 <= n <= 0x9F:
        try:
            return bytes([n]).decode("cp1252")
        except UnicodeDecodeError:
            return ""  # the five C1 controls cp1252 leaves undefined
    if 0xD800 <= n <= 0xDFFF or n > 0x10FFFF:
        return "\ufffd"
    if 0xFDD0 <= n <= 0xFDEF or n & 0xFFFE == 0xFFFE:
        return ""
    if n == 13:
        return "\n"
    return clean(chr(n))


def _parsed(page: str) -> str:
    import lxml.html

    return clean(lxml.html.fromstring(page).text_content())


@settings(max_examples=2000, deadline=None)
@given(
    st.integers(0, 0x10FFFF + 10), st.sampled_from(["&#{};", "&#x{:x};", "&#X{:06X}", "&#{:07d}"])
)
def test_every_character_reference_reads_as_html_means_it(n: int, form: str) -> None:
    ref = form.format(n)
    assert _parsed(f"<p>a{clean_markup(ref)} b</p><p>c</p>") == clean(f"a{_as_html_reads(n)} bc")


@pytest.mark.parametrize("n", [*range(0x00, 0x21), *range(0x7F, 0xA1), 0xFFFE, 0xFFFF, 0xD800])
def test_control_references_are_removed_before_the_parser(n: int) -> None:
    assert _parsed(f"<p>a{clean_markup(f'&#{n};')}b</p><p>c</p>") == f"a{_as_html_reads(n)}bc"
