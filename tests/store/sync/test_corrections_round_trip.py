"""Every correction kind, made through the library's API on one device (the sample library,
analysed by the real model), reaches the other device through a folder hub, shows there in
the article's entities, and holds on both when the articles are analysed again."""

from __future__ import annotations

from pathlib import Path

from tests.store.notes.test_corrections import ALSO, FLOOD, FRANKWELL, SAMPLE
from tests.store.sync.test_sync import fork


def effective(lib, prefix: str) -> list[tuple[int, int, str, str, str]]:
    return [(e.start, e.end, e.label, e.text, e.canonical)
            for e in lib.get_article(lib.resolve(prefix)).entities]  # fmt: skip


def test_each_kind_syncs_and_survives_reanalysis(sample_library: Path, tmp_path: Path) -> None:
    a = fork(sample_library, tmp_path / "a.db")
    b = fork(sample_library, tmp_path / "b.db")
    hub = tmp_path / "hub"
    hub.mkdir()
    try:
        flood, sample = a.resolve(FLOOD), a.resolve(SAMPLE)
        for span in [FRANKWELL, *ALSO]:  # label, every mention of the group
            a.correct_entity(flood, *span, "label", "LOC")
        a.correct_entity(flood, 257, 264, "remove")  # "Coleham"
        text = a.get_article(flood).text
        at = text.index("streets in the")
        a.correct_entity(flood, at, at + 7, "label", "PLACE_KIND")  # a passage marked
        a.correct_entity(sample, 122, 132, "alias", "Samarkand")  # "Uzbekistan"
        a.correct_entity(sample, 589, 591, "split")  # one "Xi" out of its group
        a.correct_entity(sample, 1127, 1129, "name", "Xi the leader")
        a.correct_entity(sample, 4084, 4086, "label", "ORG")
        a.correct_entity(sample, 4084, 4086, "reset")  # and back: the model's again
        want = {p: effective(a, p) for p in (FLOOD, SAMPLE)}
        assert want != {p: effective(b, p) for p in (FLOOD, SAMPLE)}
        assert a.sync(hub).published and b.sync(hub).peers
        assert {p: effective(b, p) for p in (FLOOD, SAMPLE)} == want
        assert len(b.corrections()) == len(a.corrections()) == 11
        kinds = sorted({c.kind for c in b.corrections()})
        assert kinds == ["alias", "label", "name", "remove", "reset", "split"]
        spot = {(s, e): (lab, canon) for s, e, lab, _, canon in want[FLOOD]}
        assert spot[FRANKWELL] == ("LOC", "Frankwell") and (257, 264) not in spot
        assert spot[(at, at + 7)] == ("PLACE_KIND", "streets")
        canon = {s: c for s, _, _, t, c in want[SAMPLE] if t in ("Xi", "Uzbekistan")}
        assert (canon[122], canon[589], canon[1127], canon[4084]) == (
            "Samarkand", "Xi", "Xi the leader", "Xi the leader",
        )  # fmt: skip
        for lib in (a, b):
            assert lib.reanalyze(all_articles=True)[0] == 5
            assert {p: effective(lib, p) for p in (FLOOD, SAMPLE)} == want
    finally:
        a.close()
        b.close()
