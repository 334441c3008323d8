"""Remote hubs for the sync tests: a WebDAV and an S3 server on 127.0.0.1, each with a fault proxy.

Each fixture starts its server for one test and stops it after (see servers.py for what each
serves and which credentials it takes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.sync.servers import FaultProxy, S3Server, WebdavServer


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
