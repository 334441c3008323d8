"""Each service's fixture export imported into a real library, end to end (reader, writer,
parsers, the library's own views): the literal articles, saved links and books it makes,
their state and tags, and where each highlight landed (placed in the text, or kept without
a place: waiting on a link, or an orphan). Then: the same export twice adds nothing, and
the vault round trip of issue #17."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from store import Library
from tests.conftest import FIXTURES

SERVICES = FIXTURES / "services"


def zipped(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p.name != "README.md":
                z.write(p, p.relative_to(folder))
    return dest


def exported(name: str, tmp: Path) -> tuple[str, Path]:
    """(service, export file) of a case."""
    tmp.mkdir(parents=True, exist_ok=True)
    return {
        "omnivore": lambda: ("omnivore", zipped(SERVICES / "omnivore/export", tmp / "o.zip")),
        "pocket-zip": lambda: ("pocket", zipped(SERVICES / "pocket/pocket-zip", tmp / "p.zip")),
        "pocket-html": lambda: ("pocket", SERVICES / "pocket/ril_export.html"),
        "wallabag": lambda: ("wallabag", SERVICES / "wallabag/wallabag-export.json"),
        "readwise": lambda: ("readwise", SERVICES / "readwise/readwise-data.csv"),
        "hypothesis": lambda: ("hypothesis", SERVICES / "hypothesis/export.json"),
        "kindle": lambda: ("kindle", SERVICES / "kindle/localised.txt"),
        "instapaper": lambda: ("instapaper", SERVICES / "instapaper/instapaper-export.csv"),
    }[name]()


CASES = ("omnivore", "pocket-zip", "pocket-html", "wallabag", "readwise", "hypothesis", "kindle",
         "instapaper")  # fmt: skip


def snapshot(name: str, tmp: Path, detected: bool = False) -> dict:
    """What importing a case's export makes: the report's counts, then per entry (status,
    where, title, read, starred, tags, source) and its notes (quote, body, placed)."""
    service, path = exported(name, tmp)
    with Library.open(tmp / "library.db") as lib:
        report = lib.import_export(None if detected else service, path)
        out: dict = {"counts": {k: v for k, v in report.to_json().items()
                                if isinstance(v, int)}, "entries": []}  # fmt: skip
        for r in report.results:
            if r.article_id is None:
                out["entries"].append((r.status, r.path, r.reason))
                continue
            a = lib.get_article(r.article_id)
            s = a.summary
            notes = [
                (n.anchor.exact if n.anchor else n.orphan.exact if n.orphan else None, n.body,
                 n.anchor is not None)
                for n in sorted(a.notes, key=lambda n: (n.created, n.id))
            ]  # fmt: skip
            out["entries"].append(
                (r.status, r.path, s.title, s.read, s.starred, s.tags, s.source, notes)
            )
        again = lib.import_export(service, path)
        out["again"] = {k: v for k, v in again.to_json().items() if isinstance(v, int) and v}
        assert lib.check() == ["ok"]
    return out


@pytest.mark.parametrize("name", CASES)
def test_each_services_export_in_a_library(name: str, tmp_path: Path, no_model) -> None:
    assert snapshot(name, tmp_path) == EXPECTED[name]


@pytest.mark.parametrize("name", CASES)
def test_gloss_import_recognises_each_export(name: str, tmp_path: Path, no_model) -> None:
    assert snapshot(name, tmp_path, detected=True) == EXPECTED[name]


EXPECTED: dict[str, dict] = {
    "omnivore": {
        "again": {"failed": 1, "present": 6},
        "counts": {
            "anchored": 6,
            "book": 0,
            "failed": 1,
            "highlights": 8,
            "imported": 4,
            "linked": 2,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 8,
            "waiting": 0,
        },
        "entries": [
            (
                "imported",
                "metadata_0_to_4.json[0]",
                "The quiet harbour: three weeks without a ship",
                True,
                False,
                ("harbour", "long-read", "shipping"),
                "https://news.example.org/2024/09/the-quiet-harbour",
                [
                    (
                        "The harbour had been quiet for three weeks.",
                        "Compare with the 2019 strike.",
                        True,
                    ),
                    ("Nobody on the quay could remember a longer silence.", "", True),
                    (
                        "First paragraph of the quote.\n\nSecond paragraph of the quote.",
                        "A note\nwith two lines.",
                        True,
                    ),
                    (None, "My overall note on this piece.", False),
                ],
            ),
            (
                "imported",
                "metadata_0_to_4.json[1]",
                "Port strike ends after overnight talks",
                True,
                False,
                (),
                "https://wire.example.com/port-strike-ends",
                [],
            ),
            (
                "linked",
                "metadata_0_to_4.json[2]",
                "Container rates, explained",
                False,
                False,
                ("later",),
                "https://blog.example.net/container-rates",
                [],
            ),
            (
                "linked",
                "metadata_0_to_4.json[3]",
                "Annual port report 2023 (PDF)",
                False,
                False,
                ("reports",),
                "https://port.example.org/reports/annual-2023.pdf",
                [],
            ),
            (
                "imported",
                "metadata_4_to_7.json[0]",
                "Fish prices climb as boats stay in port",
                False,
                False,
                ("economy", "fishing"),
                "https://news.example.org/2024/09/fish-prices",
                [
                    (None, "Worth comparing with the ferry piece.", False),
                    ("Fish prices rose by a third", "", True),
                    ("boats stayed in port", "", True),
                ],
            ),
            (
                "imported",
                "metadata_4_to_7.json[1]",
                "The last ferry",
                True,
                False,
                ("long-read",),
                "https://news.example.org/2024/08/the-last-ferry",
                [("The last ferry left at nine", "", True)],
            ),
            ("failed", "metadata_4_to_7.json[2]", "deleted in Omnivore; not imported"),
        ],
    },
    "pocket-zip": {
        "again": {"present": 6},
        "counts": {
            "anchored": 0,
            "book": 0,
            "failed": 0,
            "highlights": 0,
            "imported": 0,
            "linked": 6,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 8,
            "waiting": 0,
        },
        "entries": [
            (
                "linked",
                "part_000000.csv line 2",
                "The Case for Slow Reading, Revisited",
                False,
                False,
                ("essays", "reading"),
                "https://www.example-news.com/2024/03/slow-reading",
                [],
            ),
            (
                "linked",
                "part_000000.csv line 3",
                "https://blog.example.org/posts/untitled",
                True,
                False,
                (),
                "https://blog.example.org/posts/untitled",
                [],
            ),
            (
                "linked",
                "part_000000.csv line 4",
                'She said "enough": the strike that changed a town',
                True,
                False,
                ("history", "labour", "long-read"),
                "https://www.example-news.com/2024/03/strike",
                [],
            ),
            (
                "linked",
                "part_000000.csv line 5",
                "Notes on SQLite WAL mode",
                False,
                False,
                (),
                "https://sqlite.example.dev/wal.html",
                [],
            ),
            (
                "linked",
                "part_000001.csv line 2",
                "Élections municipales : ce qui change à Lyon",
                False,
                False,
                ("france", "politique"),
                "https://www.example.fr/politique/lyon-2024",
                [],
            ),
            (
                "linked",
                "part_000001.csv line 3",
                "A field guide to city birds",
                True,
                False,
                ("nature",),
                "http://birds.example.net/guide?page=2&lang=en",
                [],
            ),
        ],
    },
    "pocket-html": {
        "again": {"present": 4},
        "counts": {
            "anchored": 0,
            "book": 0,
            "failed": 0,
            "highlights": 0,
            "imported": 0,
            "linked": 4,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 5,
            "waiting": 0,
        },
        "entries": [
            (
                "linked",
                "line 11",
                "Reading the tide tables & other lost arts",
                False,
                False,
                ("science", "sea"),
                "https://www.example-news.com/2019/06/tide-tables?ref=home",
                [],
            ),
            (
                "linked",
                "line 12",
                "https://longform.example.com/p/rivers",
                False,
                False,
                (),
                "https://longform.example.com/p/rivers",
                [],
            ),
            (
                "linked",
                "line 18",
                "The attention economy, ten years on",
                True,
                False,
                ("essays",),
                "https://www.example.org/essays/attention",
                [],
            ),
            (
                "linked",
                "line 19",
                "Bread, slowly",
                True,
                False,
                ("baking", "recipes"),
                "http://old.example.net/2012/03/bread.html",
                [],
            ),
        ],
    },
    "wallabag": {
        "again": {"failed": 1, "present": 3},
        "counts": {
            "anchored": 3,
            "book": 0,
            "failed": 1,
            "highlights": 3,
            "imported": 2,
            "linked": 1,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 3,
            "waiting": 0,
        },
        "entries": [
            (
                "imported",
                "entry 1",
                "The quiet harbour: three weeks without a ship",
                True,
                True,
                ("long-read", "shipping"),
                "https://news.example.org/2024/09/the-quiet-harbour",
                [
                    (
                        "The harbour had been quiet for three weeks.",
                        "Compare with the 2019 strike.",
                        True,
                    ),
                    ("Nobody on the quay could remember a longer silence.", "", True),
                    ("the cranes were moving again", "", True),
                ],
            ),
            (
                "imported",
                "entry 2",
                "Port strike ends after overnight talks",
                False,
                False,
                (),
                "https://wire.example.com/port-strike-ends",
                [],
            ),
            (
                "linked",
                "entry 3",
                "Container rates, explained",
                True,
                False,
                ("later",),
                "https://blog.example.net/container-rates",
                [],
            ),
            ("failed", "entry 4", "deleted in Wallabag; not imported"),
        ],
    },
    "readwise": {
        "again": {"present": 3},
        "counts": {
            "anchored": 6,
            "book": 3,
            "failed": 0,
            "highlights": 7,
            "imported": 0,
            "linked": 0,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 6,
            "waiting": 0,
        },
        "entries": [
            (
                "book",
                "line 2",
                "The Cartographer's Year",
                False,
                False,
                ("favorite", "maps", "method", "nonfiction"),
                "book:the cartographer's year (mara ellison)",
                [
                    (
                        "The map is not the territory, but a good map tells you where "
                        "the territory will surprise you.",
                        "",
                        True,
                    ),
                    (
                        "She kept two notebooks: one for what she saw, and one for what "
                        "she had expected to see.",
                        "Compare with field notes chapter",
                        True,
                    ),
                    (None, "Whole book reads like a long letter to her teacher.", False),
                    (
                        "Every border is a sentence someone wrote and everyone else has to read.",
                        "",
                        True,
                    ),
                ],
            ),
            (
                "book",
                "line 6",
                "Notes from the Delta",
                False,
                False,
                ("geography",),
                "book:notes from the delta (tomás ribeiro)",
                [
                    ('Rivers do not "flow" so much as fall, very slowly.', "", True),
                    ("A library is a garden that grows in the dark.", 'why "dark"?', True),
                ],
            ),
            (
                "book",
                "line 8",
                "Untitled Essay Collection",
                False,
                False,
                ("essays",),
                "book:untitled essay collection",
                [("The first draft of anything is a letter to yourself.", "", True)],
            ),
        ],
    },
    "hypothesis": {
        "again": {"present": 3},
        "counts": {
            "anchored": 1,
            "book": 1,
            "failed": 0,
            "highlights": 5,
            "imported": 0,
            "linked": 2,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 3,
            "waiting": 2,
        },
        "entries": [
            (
                "linked",
                "annotations[0]",
                "Harbour reopens after storm damage",
                False,
                False,
                ("follow-up", "shipping"),
                "https://news.example.org/2024/11/harbour-reopens",
                [
                    (
                        "The harbour will reopen to container traffic on 3 December, "
                        "two weeks later than planned.",
                        "Check the date against the port authority's notice.",
                        False,
                    ),
                    (None, "Page note: the **second half** repeats last week's story.", False),
                    (None, "Agreed, and the photo caption is wrong too.", False),
                ],
            ),
            (
                "linked",
                "annotations[1]",
                "Corals spawn early in warm year",
                False,
                False,
                (),
                "https://science.example.com/articles/coral-spawning",
                [("spawning was observed on three consecutive nights", "", False)],
            ),
            (
                "book",
                "annotations[4]",
                "reef-survey-methods.pdf",
                False,
                False,
                ("methods",),
                "book:reef-survey-methods.pdf",
                [("Sampling sites are listed in Table 2.", "Table 2 is the one to cite.", True)],
            ),
        ],
    },
    "kindle": {
        "again": {"present": 9},
        "counts": {
            "anchored": 9,
            "book": 9,
            "failed": 0,
            "highlights": 9,
            "imported": 0,
            "linked": 0,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 0,
            "waiting": 0,
        },
        "entries": [
            (
                "book",
                "line 1",
                "Der Prozess",
                False,
                False,
                (),
                "book:der prozess (franz kafka)",
                [("Jemand musste Josef K. verleumdet haben.", "der beste erste Satz", True)],
            ),
            (
                "book",
                "line 16",
                "Le Petit Prince",
                False,
                False,
                (),
                "book:le petit prince (antoine de saint-exupéry)",
                [
                    (
                        "On ne voit bien qu'avec le cœur.",
                        "L'essentiel est invisible pour les yeux.",
                        True,
                    )
                ],
            ),
            (
                "book",
                "line 26",
                "Le Retour du roi",
                False,
                False,
                (),
                "book:le retour du roi (j.r.r. tolkien)",
                [("Il ne nous appartient pas de rassembler toutes les marées du monde.", "", True)],
            ),
            (
                "book",
                "line 31",
                "Cien años de soledad",
                False,
                False,
                (),
                "book:cien años de soledad (gabriel garcía márquez)",
                [("Muchos años después, frente al pelotón de fusilamiento.", "el hielo", True)],
            ),
            (
                "book",
                "line 41",
                "Il nome della rosa",
                False,
                False,
                (),
                "book:il nome della rosa (umberto eco)",
                [("Stat rosa pristina nomine.", "il titolo", True)],
            ),
            (
                "book",
                "line 51",
                "Garota exemplar",
                False,
                False,
                (),
                "book:garota exemplar (flynn, gillian)",
                [("Na verdade, queria que ela lesse minha mente.", "Amy", True)],
            ),
            (
                "book",
                "line 61",
                "Max Havelaar",
                False,
                False,
                (),
                "book:max havelaar (multatuli)",
                [("Ik ben makelaar in koffie.", "", True)],
            ),
            (
                "book",
                "line 66",
                "千羽鶴",
                False,
                False,
                (),
                "book:千羽鶴 (川端康成)",
                [("てからも、ちか子は少しぼんやり茶をたてた。", "茶会", True)],
            ),
            (
                "book",
                "line 76",
                "飘（上下） (外国文学名著名译丛书)",
                False,
                False,
                (),
                "book:飘（上下） (外国文学名著名译丛书) ((美)米切尔)",
                [("梅拉妮才十八岁。", "", True)],
            ),
        ],
    },
    "instapaper": {
        "again": {"failed": 1, "present": 4},
        "counts": {
            "anchored": 0,
            "book": 0,
            "failed": 1,
            "highlights": 2,
            "imported": 0,
            "linked": 4,
            "merged": 0,
            "orphaned": 0,
            "present": 0,
            "tags": 4,
            "waiting": 0,
        },
        "entries": [
            (
                "linked",
                "line 2",
                "Why rents rose, in four charts",
                False,
                False,
                ("economy", "housing"),
                "https://www.example-news.com/2025/01/housing",
                [],
            ),
            (
                "linked",
                "line 3",
                "On Walking",
                True,
                False,
                (),
                "https://essays.example.org/on-walking",
                [(None, "Walking is the exact balance between spirit and humility.", False)],
            ),
            (
                "linked",
                "line 4",
                "Soda bread in 30 minutes",
                False,
                False,
                ("baking", "recipes"),
                "https://www.example.com/recipes/soda-bread",
                [],
            ),
            (
                "linked",
                "line 5",
                "A comet, twice",
                False,
                True,
                (),
                "https://science.example.net/2024/12/comet",
                [(None, 'From a thread by @astro_jane:\n"look up tonight"', False)],
            ),
            ("failed", "line 7", "private content (emailed to Instapaper): not in the export"),
        ],
    },
}


def test_omnivore_to_vault_round_trip(gloss, tmp_path: Path, no_model) -> None:
    """Issue #17's round trip, through the real CLI: import an Omnivore ZIP, annotate,
    export the vault, write in it, edit a note, export again."""
    import json

    from store.notes.vault import MARKER

    archive = zipped(SERVICES / "omnivore/export", tmp_path / "omnivore.zip")
    code, out, err = gloss("import", str(archive))
    assert code == 1 and out.splitlines()[-1].startswith("Omnivore: 4 articles, 2 saved links")
    assert err.count("deleted in Omnivore") == 0 and "deleted in Omnivore" in out
    listed = json.loads(gloss("list", "--json")[1])
    [ferry] = [a["id"] for a in listed if a["title"] == "The last ferry"]
    code, out, _ = gloss("note", ferry, "Nine, every night?", "--quote", "left at nine",
                         "--json")  # fmt: skip
    assert code == 0
    note_id = json.loads(out)["id"]
    vault = tmp_path / "vault"
    code, out, _ = gloss("export", "-o", str(vault))
    assert code == 0, out
    # only the annotated articles have a file: three of the four articles (the strike
    # article has no highlights; neither has either saved link)
    files = sorted(p.name for p in vault.iterdir())
    assert [f.rsplit("-", 1)[0] for f in files] == [
        "fish-prices-climb-as-boats-stay-in-port", "the-last-ferry",
        "the-quiet-harbour-three-weeks-without-a-ship",
    ]  # fmt: skip
    [mine] = [vault / name for name in files if name.startswith("the-last-ferry-")]
    text = mine.read_text(encoding="utf-8")
    assert "> The last ferry left at nine" in text and "Nine, every night?" in text
    assert text.count(MARKER) == 1
    with mine.open("a", encoding="utf-8") as f:
        f.write("\nMy own thoughts, kept.\n")
    assert gloss("edit-note", note_id, "Nine, every night?\nYes: the 21:00 sailing.")[0] == 0
    code, out, _ = gloss("export", "-o", str(vault))
    assert code == 0 and "1 updated" in out
    after = mine.read_text(encoding="utf-8")
    assert "Nine, every night?  \nYes: the 21:00 sailing." in after
    assert after.endswith(MARKER + "\n" + text.split(MARKER + "\n", 1)[1] +
                          "\nMy own thoughts, kept.\n")  # fmt: skip
    assert sorted(p.name for p in vault.iterdir()) == files
