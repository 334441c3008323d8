"""The hybrid logical clock: a full counter carries into the next millisecond, stamps keep
their width and order, and an unreadable stored stamp is a clear library error."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Library
from store.core import hlc
from store.core.errors import LibraryError
from store.core.hlc import Stamp

WALL = 1_700_000_000_000


def test_tick_carries_a_full_counter_into_the_next_millisecond() -> None:
    last = Stamp(WALL, 99_998, "dev")
    first = hlc.tick(last, "dev", wall_now=WALL)
    second = hlc.tick(first, "dev", wall_now=WALL)
    assert first == Stamp(WALL, 99_999, "dev")
    assert second == Stamp(WALL + 1, 0, "dev")
    assert str(second) == "1700000000001.00000.dev"
    assert str(first) < str(second)
    assert Stamp.parse(str(second)) == second


def test_observe_carries_past_a_peer_with_a_full_counter() -> None:
    remote = Stamp(WALL + 5, 99_999, "peer")
    stamp = hlc.observe(Stamp(WALL, 3, "dev"), remote, "dev", wall_now=WALL)
    assert stamp == Stamp(WALL + 6, 0, "dev")
    assert str(stamp) > str(remote)
    assert hlc.tick(stamp, "dev", wall_now=WALL) == Stamp(WALL + 6, 1, "dev")


def test_a_hundred_thousand_stamps_in_one_millisecond_stay_ordered() -> None:
    stamps = []
    last = None
    for _ in range(100_002):
        last = hlc.tick(last, "dev", wall_now=WALL)
        stamps.append(str(last))
    assert stamps[-3:] == [
        "1700000000000.99999.dev", "1700000000001.00000.dev", "1700000000001.00001.dev"
    ]  # fmt: skip
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert {len(s) for s in stamps} == {23}


@pytest.mark.parametrize(
    "text",
    ["", "1700000000000.100000.dev", "1700000000000.00001.", "-700000000000.00001.dev",
     "17000000000000.0001.dev", "1700000000000.0000x.dev", "١٧٠٠٠٠٠٠٠٠٠٠٠.00001.dev", "junk"],
)  # fmt: skip
def test_parse_refuses_what_str_cannot_write(text: str) -> None:
    with pytest.raises(ValueError, match="not a clock stamp"):
        Stamp.parse(text)


def test_a_library_whose_clock_is_full_keeps_writing(fresh_lib: Library, tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("A title\n\nSome text about the council.\n", encoding="utf-8")
    aid = fresh_lib.import_paths([src]).results[0].article_id
    assert aid is not None
    far = hlc.now_ms() + 60_000  # a peer clock a minute ahead, counter at the top
    with fresh_lib.write() as conn:
        fresh_lib.handle.set_meta(conn, "hlc", f"{far:013d}.99999.{fresh_lib.device_id}")
    note = fresh_lib.add_note(aid, "still works")
    again = fresh_lib.edit_note(note.id, "and again")
    assert note.updated == f"{far + 1:013d}.00000.{fresh_lib.device_id}"
    assert again.updated == f"{far + 1:013d}.00001.{fresh_lib.device_id}"


def test_an_unreadable_stored_stamp_is_a_library_error(gloss, tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    src = tmp_path / "a.txt"
    src.write_text("A title\n\nSome text about the council.\n", encoding="utf-8")
    with Library.open(path) as lib:
        aid = lib.import_paths([src]).results[0].article_id
        assert aid is not None
        with lib.write() as conn:
            lib.handle.set_meta(conn, "hlc", "1700000000000.100000.dev")  # what the old clock wrote
        with pytest.raises(LibraryError, match="unreadable clock stamp") as err:
            lib.add_note(aid, "a note")
        assert str(path) in str(err.value)
        assert lib.notes(aid) == []
    code, out, errout = gloss("note", aid, "a note", db=path)
    assert code not in (0, 70)
    assert str(path) in errout and "unreadable clock stamp" in errout
    assert len(errout.strip().splitlines()) == 1


def test_sync_with_an_unreadable_stored_stamp_is_one_line(gloss, tmp_path: Path) -> None:
    """Merging a peer adopts its clock: an unreadable local stamp is the library's error,
    in the sync report's line for that peer, naming the library."""
    src = tmp_path / "a.txt"
    src.write_text("A title\n\nSome text about the council.\n", encoding="utf-8")
    peer_path, path = tmp_path / "peer.db", tmp_path / "library.db"
    with Library.open(peer_path) as peer:
        aid = peer.import_paths([src]).results[0].article_id
        assert aid is not None
        peer.add_note(aid, "a note from the peer")
    with Library.open(path) as lib:
        lib.import_paths([src])
        with lib.write() as conn:
            lib.handle.set_meta(conn, "hlc", "1700000000000.100000.dev")
    code, out, errout = gloss("sync", str(peer_path), db=path)
    assert code == 1  # the peer is reported as not merged, with the library's reason
    assert out.startswith("skipped  peer.db: library ")
    assert "unreadable clock stamp" in out and str(path) in out
    assert len(out.strip().splitlines()) == 1 and errout == ""
