"""The Kindle reader: My Clippings.txt in English (US, UK, old devices) and the other
languages' devices, read into one book per title with literal highlights and notes;
duplicates, pairing, hostile files."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.core.errors import ImportFailed
from store.ingest.services import kindle, record
from store.ingest.services.record import Highlight, Malformed, Saved

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "services" / "kindle"
SEP = "=========="


def entry(title: str, info: str, text: str = "") -> str:
    return f"{title}\n{info}\n\n{text}\n{SEP}\n"


def hl(at: str = "Location 10-12", day: int = 1) -> str:
    return f"- Your Highlight on {at} | Added on Monday, January {day}, 2024 9:00:00 AM"


def note(at: str = "Location 12", day: int = 1) -> str:
    return f"- Your Note on {at} | Added on Monday, January {day}, 2024 9:00:00 AM"


def write(tmp_path: Path, text: str | bytes, name: str = "My Clippings.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def read(tmp_path: Path, text: str | bytes) -> list[object]:
    return list(kindle.read(write(tmp_path, text)))


def h(quote: str | None, note: str | None = None, day: int = 1) -> Highlight:
    return Highlight(quote=quote, note=note, created=f"2024-01-{day:02d}T09:00:00+00:00")


def book(where: str, *highlights: Highlight, title: str = "B", author: str | None = "A") -> Saved:
    dates = [x.created for x in highlights if x.created]
    return Saved(
        where, title=title, author=author, saved=min(dates) if dates else None,
        highlights=list(highlights),
    )  # fmt: skip


US = [
    Malformed("line 47", "no text: Kindle's clipping limit for this book was reached"),
    Saved(
        "line 1",
        title="The Lighthouse Keepers",
        author="Harlan, Ruth",
        saved="2024-01-01T21:05:12+00:00",
        highlights=[
            Highlight(
                quote="The light was never about the ships; it was about the keeper.",
                note="Compare with chapter 1.",
                created="2024-01-01T21:05:12+00:00",
            ),
            Highlight(
                quote=None,
                note="Why does nobody mention the second keeper?",
                created="2024-01-03T07:45:00+00:00",
            ),
        ],
    ),
    Saved(
        "line 11",
        title="A Field Guide (with Maps)",
        author="Okafor, Ada",
        saved="2024-01-02T00:16:30+00:00",
        highlights=[
            Highlight(
                quote="Start at the river. Walk upstream until the path forks,\nthen keep left.",
                created="2024-01-02T00:16:30+00:00",
            )
        ],
    ),
    Saved(
        "line 37",
        title="meeting-notes-2023",
        saved="2024-01-04T10:00:00+00:00",
        highlights=[
            Highlight(
                quote="Budget review moves to March.",
                note="ask Priya",
                created="2024-01-04T10:00:00+00:00",
            )
        ],
    ),
]


def test_us_english_with_a_bom_before_each_title_and_crlf() -> None:
    data = (FIXTURES / "english_us.txt").read_bytes()
    assert data.count(b"\xef\xbb\xbf") == 10 and data.count(b"\r\n") == 51
    assert list(kindle.read(FIXTURES / "english_us.txt")) == US


def test_uk_english_and_an_old_kindle() -> None:
    assert list(kindle.read(FIXTURES / "english_uk.txt")) == [
        Saved(
            "line 1",
            title="The Autobiography of a Tree",
            author="Byrne, Liam",
            saved="2015-07-31T00:17:35+00:00",
            highlights=[
                Highlight(
                    quote="Roots remember what leaves forget.",
                    note="lovely",
                    created="2015-07-31T00:17:35+00:00",
                )
            ],
        ),
        Saved(
            "line 11",
            title="Rivers of the North",
            author="Lindqvist, Sara",
            saved="2011-04-21T07:31:00+00:00",
            highlights=[
                # "Loc. 1234-36" is 1234 to 1236: the note at 1236 is its note.
                Highlight(
                    quote="The delta moves a metre a year.",
                    note="check the figure",
                    created="2012-12-03T19:51:33+00:00",
                ),
                Highlight(quote="Ice is patient.", created="2011-04-21T07:31:00+00:00"),
            ],
        ),
    ]


def _book(where: str, title: str, author: str, created: str, quote: str, note: str | None):
    return Saved(
        where, title=title, author=author, saved=created,
        highlights=[Highlight(quote=quote, note=note, created=created)],
    )  # fmt: skip


def test_the_other_languages_devices() -> None:
    assert list(kindle.read(FIXTURES / "localised.txt")) == [
        _book("line 1", "Der Prozess", "Franz Kafka", "2015-01-05T12:41:19+00:00",
              "Jemand musste Josef K. verleumdet haben.", "der beste erste Satz"),
        _book("line 16", "Le Petit Prince", "Antoine de Saint-Exupéry",
              "2024-03-05T09:12:45+00:00", "On ne voit bien qu'avec le cœur.",
              "L'essentiel est invisible pour les yeux."),
        _book("line 26", "Le Retour du roi", "J.R.R. Tolkien", "2017-08-16T02:14:10+00:00",
              "Il ne nous appartient pas de rassembler toutes les marées du monde.", None),
        _book("line 31", "Cien años de soledad", "Gabriel García Márquez",
              "2019-09-30T18:00:39+00:00",
              "Muchos años después, frente al pelotón de fusilamiento.", "el hielo"),
        _book("line 41", "Il nome della rosa", "Umberto Eco", "2021-03-08T22:52:57+00:00",
              "Stat rosa pristina nomine.", "il titolo"),
        _book("line 51", "Garota exemplar", "Flynn, Gillian", "2019-11-29T18:00:13+00:00",
              "Na verdade, queria que ela lesse minha mente.", "Amy"),
        _book("line 61", "Max Havelaar", "Multatuli", "2019-09-30T18:00:39+00:00",
              "Ik ben makelaar in koffie.", None),
        _book("line 66", "千羽鶴", "川端康成", "2017-08-28T17:51:55+00:00",
              "てからも、ちか子は少しぼんやり茶をたてた。", "茶会"),
        _book("line 76", "飘（上下） (外国文学名著名译丛书)", "(美)米切尔",
              "2023-02-09T18:35:21+00:00", "梅拉妮才十八岁。", None),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("info", "start", "end", "page", "created"),
    [
        (hl(), 10, 12, None, "2024-01-01T09:00:00+00:00"),
        ("- Your Highlight on page 23 | Location 156-158 | Added on Friday, January 1, 2021 "
         "12:00:00 PM", 156, 158, None, "2021-01-01T12:00:00+00:00"),
        ("- Your Note on page 2 | Location 9 | Added on Monday, January 1, 2024 12:05:00 AM",
         9, 9, None, "2024-01-01T00:05:00+00:00"),
        ("- Your Highlight on page ix | location 247-248 | Added on Sunday, 18 February 2018 "
         "22:30:47", 247, 248, None, "2018-02-18T22:30:47+00:00"),
        ("- Your Highlight on page xvi-xvi | Added on Monday, April 18, 2016 7:28:27 PM",
         None, None, "xvi", "2016-04-18T19:28:27+00:00"),
        ("- Highlight Loc. 3665-67 | Added on Sunday, February 26, 2012, 02:25 PM",
         3665, 3667, None, "2012-02-26T14:25:00+00:00"),
        ("- Your Highlight Location 181-182 | Added on Tuesday, November 19, 2013 1:23:50 PM",
         181, 182, None, "2013-11-19T13:23:50+00:00"),
        ("- Highlight Loc. 563-64  | Added on Saturday, 29 April 17 21:23:29 GMT-02:23",
         563, 564, None, "2017-04-29T21:23:29+00:00"),
        ("- Highlight on Page 10 | Added on Monday, 3 December 12 19:51:33 GMT+00:59",
         None, None, "10", "2012-12-03T19:51:33+00:00"),
        ("- Ihre Markierung bei Position 1446-1446 | Hinzugefügt am Sonntag, 7. Mai 2017 "
         "12:26:04", 1446, 1446, None, "2017-05-07T12:26:04+00:00"),
        ("- Ihre Notiz auf Seite 12 | bei Position 183 | Hinzugefügt am Montag, 3. März 2025 "
         "22:16:40", 183, 183, None, "2025-03-03T22:16:40+00:00"),
        ("- Votre surlignement Emplacement 307-307 | Ajouté le lundi 17 décembre 2012 à "
         "08:27:45", 307, 307, None, "2012-12-17T08:27:45+00:00"),
        ("- Votre note Emplacement 3752 | Ajoutée le vendredi 16 novembre 2018 à 13:51:19",
         3752, 3752, None, "2018-11-16T13:51:19+00:00"),
        ("- La subrayado en la página 197 | posición 2031-2035 | Añadido el sábado, 12 de "
         "octubre de 2019 0:37:31", 2031, 2035, None, "2019-10-12T00:37:31+00:00"),
        ("- Tu nota en la página 10 | Ubicación 150 | Añadido el lunes, 1 de enero de 2024 "
         "11:01:00", 150, 150, None, "2024-01-01T11:01:00+00:00"),
        ("- La tua evidenziazione a pagina 477 | posizione 7312-7314 | Aggiunto in data "
         "lunedì 20 novembre 2023 23:50:21", 7312, 7314, None, "2023-11-20T23:50:21+00:00"),
        ("- Seu destaque na página 179 | posição 2739-2747 | Adicionado: sábado, 19 de março "
         "de 2022 09:39:58", 2739, 2747, None, "2022-03-19T09:39:58+00:00"),
        ("- Je highlight op locatie 55 t/m 88 | Toegevoegd op donderdag 13 augustus 2026 "
         "20:01:02", 55, 88, None, "2026-08-13T20:01:02+00:00"),
        ("- 位置No. 336のメモ |作成日: 2023年6月10日土曜日 9:18:40", 336, 336, None,
         "2023-06-10T09:18:40+00:00"),
        ("- 您在第 1 页（位置 #1-1）的标注 | 添加于 2017年11月13日星期一 上午12:00:00",
         1, 1, None, "2017-11-13T00:00:00+00:00"),
        # What cannot be read is None, never an error.
        ("- Your Highlight on Location 99999999999 | Added on Someday", None, None, None, None),
        ("- Your Highlight on Location 5-6 | Added on Monday, February 30, 2024 25:00:00",
         5, 6, None, None),
        ("- Your Highlight | Added on Monday, January 1, 1066 10:00:00", None, None, None, None),
    ],
)  # fmt: skip
def test_the_clipping_line_in_each_form(
    info: str, start: int | None, end: int | None, page: str | None, created: str | None
) -> None:
    assert kindle._meta(info) == kindle._Meta(start, end, page, created)


@pytest.mark.parametrize(
    ("line", "title", "author"),
    [
        ("\ufeffA Book (with Brackets) (Doe, Jane)", "A Book (with Brackets)", "Doe, Jane"),
        ("--authors (Inconnu(e))", "--authors", "Inconnu(e)"),
        ("paulo-coelho-the-devil  ", "paulo-coelho-the-devil", None),
        ("Title (Unclosed", "Title (Unclosed", None),
        ("Unopened) (X)", "Unopened)", "X"),
        ("(Only An Author)", "(Only An Author)", None),
        ("Empty ()", "Empty", None),
        ("Bad )(", "Bad )(", None),
    ],
)
def test_the_title_line(line: str, title: str, author: str | None) -> None:
    assert kindle._title_author(line) == (title, author)


def test_sniff_knows_the_clippings_and_nothing_else(tmp_path: Path) -> None:
    for name in ("english_us.txt", "english_uk.txt", "localised.txt"):
        path = FIXTURES / name
        assert kindle.sniff(path, path.read_bytes()[:65536]) is True
    hypothesis = (FIXTURES.parent / "hypothesis" / "export.json").read_bytes()
    for head in (
        hypothesis,
        b"url,title\nhttps://e.x/,x\n",
        b"\xff\xfe\x00\x01",
        b"",
        SEP.encode(),
    ):
        assert kindle.sniff(tmp_path / "x", head) is False


@pytest.mark.parametrize(
    "data",
    [b"Title\nSome prose.\n==========\n", b'{"annotations": []}', b"", b"\x00\x01\x02"],
)
def test_a_file_that_is_not_the_format_is_one_line(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(ImportFailed) as err:
        read(tmp_path, data)
    assert str(err.value) == (
        "not Kindle clippings (no '- Your Highlight …' line and '==========' line)"
    )


def test_a_malformed_entry_is_listed_and_the_others_are_read(tmp_path: Path) -> None:
    text = (
        entry("B (A)", hl(), "one")
        + "B (A)\nno clipping line\n\nx\n" + SEP + "\n"
        + entry("B (A)", "- Your Clip on Location 3 | Added on Monday", "x")
        + entry("B (A)", hl("Location 20-21"), "")
        + entry("\x1b\x07", hl("Location 30-31"), "x")
        + "B (A)\n" + SEP + "\n"
        + entry("B (A)", hl("Location 40-41"), "two")
    )  # fmt: skip
    assert read(tmp_path, text) == [
        Malformed("line 6", "no clipping line ('- Your Highlight …') after the title"),
        Malformed("line 11", "not a highlight, note or bookmark: - Your Clip on Location 3"),
        Malformed("line 16", "a highlight without text"),
        Malformed("line 21", "no title"),
        Malformed("line 26", "no clipping line ('- Your Highlight …') after the title"),
        book("line 1", h("one"), h("two")),
    ]


def test_control_characters_and_bad_utf8_in_the_text(tmp_path: Path) -> None:
    data = (entry("B (A)", hl(), "a\x1b[2Jb\x07c") + entry("B (A)", hl("Loc. 50"), "")).encode()
    data = data.replace(b"\n\n\n", b"\n\nd\xffe\n")
    assert read(tmp_path, data) == [book("line 1", h("abc"), h("d\ufffde"))]


def test_notes_pair_with_the_highlight_at_their_place(tmp_path: Path) -> None:
    text = (
        entry("B (A)", note("Location 30"), "note first")  # written before its highlight
        + entry("B (A)", hl("Location 28-30"), "ends at 30")
        + entry("B (A)", hl("Location 40-44"), "starts at 40")
        + entry("B (A)", note("Location 40"), "at its start")
        + entry("B (A)", hl("Location 50-52"), "two notes")
        + entry("B (A)", note("Location 52"), "first")
        + entry("B (A)", note("Location 52"), "second")
        + entry("B (A)", note("Location 52"), "second, edited")
        + entry("B (A)", note("Location 52"), "first")
        + entry("B (A)", note("Location 60"), "on its own")
        + entry("B (A)", note("Location 60"), "on its own, longer")
        + entry("B (A)", hl("page 3"), "page three, a")
        + entry("B (A)", hl("page 3"), "page three, b")
        + entry("B (A)", note("page 3"), "which one?")
    )
    assert read(tmp_path, text) == [
        book(
            "line 1",
            h("ends at 30", "note first"),
            h("starts at 40", "at its start"),
            h("two notes", "first\n\nsecond, edited"),
            h(None, "on its own, longer"),
            h("page three, a"),
            h("page three, b"),
            h(None, "which one?"),
        )
    ]


def test_an_extended_highlight_keeps_the_longer_and_a_repeat_is_kept_once(tmp_path: Path) -> None:
    text = (
        entry("B (A)", hl("Location 10-11", 1), "The sea")
        + entry("B (A)", hl("Location 10-14", 2), "The sea was calm")  # extended at the end
        + entry("B (A)", hl("Location 8-14", 3), "At dawn The sea was calm")  # and the start
        + entry("B (A)", hl("Location 30-31", 4), "Yes.")
        + entry("B (A)", hl("Location 90-91", 5), "Yes.")  # the same words elsewhere
        + entry("B (A)", hl("Location 90-91", 6), "Yes.")  # a repeat
        + entry("B (A)", hl("Location 95-96", 7), "Yes. No.")  # contains, does not overlap
        + entry("B (A)", hl("page 4", 8), "On page four")
        + entry("B (A)", hl("page 4", 9), "On page")
    )
    assert read(tmp_path, text) == [
        book("line 1", h("At dawn The sea was calm", day=3), h("Yes.", day=4),
             h("Yes.", day=5), h("Yes. No.", day=7), h("On page four", day=8)),
    ]  # fmt: skip


def test_books_are_grouped_across_the_file_in_the_order_first_seen(tmp_path: Path) -> None:
    text = (
        entry("One (X)", hl(day=2), "a")
        + entry("Two", hl(day=3), "b")
        + entry("One (Y)", hl(day=4), "c")  # another author: another book
        + entry("One (X)", hl("Location 80-81", 1), "d")
    )
    assert read(tmp_path, text) == [
        book("line 1", h("a", day=2), h("d", day=1), title="One", author="X"),
        book("line 6", h("b", day=3), title="Two", author=None),
        book("line 11", h("c", day=4), title="One", author="Y"),
    ]


def test_a_bookmark_is_skipped(tmp_path: Path) -> None:
    text = entry("B (A)", "- Your Bookmark on Location 7 | Added on Monday") + entry(
        "B (A)", hl(), "x"
    )
    assert read(tmp_path, text) == [book("line 6", h("x"))]


def test_an_oversized_entry_is_malformed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kindle, "MAX_ENTRY_BYTES", 300)
    monkeypatch.setattr(kindle, "_CHUNK", 64)
    long_line = "y" * 1000
    text = entry("B (A)", hl(), "x") + entry("B (A)", hl("Location 20-21"), long_line)
    text += entry("B (A)", hl("Location 30-31"), "z\n" * 200) + entry("B (A)", hl("Loc. 40"), "w")
    assert read(tmp_path, text) == [
        Malformed("line 6", "larger than 300 bytes"),
        Malformed("line 11", "larger than 300 bytes"),
        book("line 1", h("x"), h("w")),
    ]


def test_lines_read_in_small_chunks_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kindle, "_CHUNK", 7)
    assert list(kindle.read(FIXTURES / "english_us.txt")) == US


def test_a_truncated_file_says_where_it_ends(tmp_path: Path) -> None:
    data = (FIXTURES / "english_us.txt").read_bytes()
    cut = data[: data.index(b"Walk upstream") + 4]
    assert read(tmp_path, cut) == [
        Malformed("line 21", "the file ends inside this entry (no ==========)"),
        Saved(
            "line 1",
            title="The Lighthouse Keepers",
            author="Harlan, Ruth",
            saved="2024-01-01T21:05:12+00:00",
            highlights=[US[1].highlights[0]],  # type: ignore[union-attr]
        ),
        Saved(
            "line 11",
            title="A Field Guide (with Maps)",
            author="Okafor, Ada",
            saved="2024-01-02T00:15:00+00:00",
            highlights=[
                Highlight(quote="Start at the river.", created="2024-01-02T00:15:00+00:00")
            ],
        ),
    ]


def test_blank_lines_between_entries_and_no_final_line_end(tmp_path: Path) -> None:
    text = "\n\n" + entry("B (A)", hl(), "x") + "\n\n" + entry("B (A)", hl("Loc. 70"), "y")
    assert read(tmp_path, text.rstrip("\n")) == [book("line 3", h("x"), h("y"))]


def test_books_held_past_the_bound_are_given_out_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kindle, "_HELD_CLIPS", 1)
    text = entry("B (A)", hl(), "x") + entry("C", hl(), "y") + entry("B (A)", hl("Loc. 70"), "z")
    assert read(tmp_path, text) == [
        book("line 1", h("x")),
        book("line 6", h("y"), author=None, title="C"),
        book("line 11", h("z")),
    ]


def test_a_book_with_too_many_highlights_comes_out_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record, "MAX_HIGHLIGHTS", 2)
    text = "".join(entry("B (A)", hl(f"Location {n}0-{n}1"), f"q{n}") for n in range(1, 4))
    assert read(tmp_path, text) == [book("line 1", h("q1"), h("q2")), book("line 11", h("q3"))]
