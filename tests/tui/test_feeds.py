"""Feeds in the reader: the sidebar lists them with unread counts, R refreshes in a worker."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from store.core.models import Filter
from store.ingest import feeds
from tests.tui.conftest import no_model, opened, screen_text, settle
from tui.app import GlossApp
from tui.widgets.article_list import ArticleList
from tui.widgets.sidebar import Sidebar

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
SIZE = (120, 40)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The fixture feeds served on 127.0.0.1 by a server this test starts and stops."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(FIXTURES))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_refresh_from_the_library_screen(lib_path: Path, site: str) -> None:
    with opened(lib_path) as lib:
        feed, _ = feeds.add_feed(lib.handle, f"{site}/rss.xml", title="Harbour Gazette")
        before = lib.count()
    with no_model():
        app = GlossApp(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("R")
            await settle(pilot, rounds=10)
            assert "Harbour Gazette" in screen_text(pilot)
            sidebar = app.screen.query_one(Sidebar)
            [node] = [
                n for n in sidebar.root.children[-1].children if n.data == Filter(feed=feed.id)
            ]
            assert "Harbour Gazette" in node.label.plain and node.label.plain.split()[-1].isdigit()
            sidebar.select_node(node)
            await settle(pilot)
            listed = app.screen.query_one(ArticleList)
            assert listed.count == int(node.label.plain.split()[-1]) > 0
            assert "Council approves new ferry timetable" in screen_text(pilot)
    with opened(lib_path) as lib:
        assert lib.count() == before + listed.count
        assert lib.count(Filter(feed=feed.id)) == listed.count
