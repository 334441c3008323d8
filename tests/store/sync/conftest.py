"""Fixtures of the sync tests: two libraries for crafted-peer tests; remote hubs, a WebDAV and
an S3 server on 127.0.0.1, each with a fault proxy.

Each fixture starts its server for one test and stops it after (see servers.py for what each
serves and which credentials it takes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.sync.servers import FaultProxy, S3Server, WebdavServer
from tests.store.sync.test_sync import fork


@pytest.fixture
def libs(sample_library: Path, tmp_path: Path):
    """Our library (a file, closed) and a peer's library b (open) with a good note on it."""
    ours = tmp_path / "a.db"
    fork(sample_library, ours).close()
    b = fork(sample_library, tmp_path / "b.db")
    note = b.add_note(b.resolve("6055"), "a good note from the peer")
    yield ours, b, note.id
    b.close()


@pytest.fixture
def webdav_server(tmp_path: Path) -> Iterator[WebdavServer]:
    """wsgidav over tmp_path/"dav": `.url` (…/dav/), `.user`, `.password`, `.root`."""
    pytest.importorskip("wsgidav", reason="wsgidav is not installed (the dev group has it)")
    pytest.importorskip("cheroot", reason="cheroot is not installed (the dev group has it)")
    root = tmp_path / "dav"
    root.mkdir()
    with WebdavServer(root) as server:
        yield server


@pytest.fixture
def s3_server() -> Iterator[S3Server]:
    """moto's S3 with a bucket: `.endpoint`, `.bucket`, `.key`, `.secret` (signatures checked)."""
    pytest.importorskip("moto.server", reason="moto[server] is not installed (dev group)")
    with S3Server() as server:
        yield server


@pytest.fixture
def webdav_proxy(webdav_server: WebdavServer) -> Iterator[FaultProxy]:
    """A fault proxy in front of `webdav_server`; `.url` is the share's URL through it."""
    with FaultProxy(webdav_server.url) as proxy:
        yield proxy


@pytest.fixture
def s3_proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    """A fault proxy in front of `s3_server`; `.url` is an endpoint URL for s3fs or boto3."""
    with FaultProxy(s3_server.endpoint) as proxy:
        yield proxy
