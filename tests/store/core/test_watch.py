"""The watch tells another process's commits from this one's, with no table read."""

from __future__ import annotations

import threading

from store import Library


def test_a_commit_by_another_connection_is_seen_once(lib: Library, sample_id: str) -> None:
    watch = lib.watch()
    assert watch.poll() is False  # the starting point
    assert watch.poll() is False  # nothing happened
    with Library.open(lib.path) as other:  # as the CLI would
        other.tag(sample_id, add=["elsewhere"])
    assert watch.poll() is True
    assert watch.poll() is False  # seen already
    watch.close()


def test_this_processes_own_commits_are_not_reported(lib: Library, sample_id: str) -> None:
    watch = lib.watch()
    watch.poll()
    lib.set_starred(sample_id, True)  # this thread's connection, through the handle
    done = threading.Thread(target=lambda: lib.set_read(sample_id, True))  # another thread's
    done.start()
    done.join()
    assert watch.poll() is False
    with Library.open(lib.path) as other:
        other.set_starred(sample_id, False)
    assert watch.poll() is True
    watch.close()
    other = Library.open(lib.path)
    other.set_read(sample_id, False)
    other.close()
    assert watch.poll() is False  # closed (the app is quitting): no connection reopened
