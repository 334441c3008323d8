"""Sync v2 with remote hubs: a WebDAV share (wsgidav) and an S3 bucket (moto's server), each
started on 127.0.0.1 by the test, behind a proxy that cuts uploads or answers errors. Nothing
half-written is ever read as a fact file, a retry completes, credentials are never stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import Library
from store.core.errors import LibraryError
from store.sync import pack
from tests.store.sync.servers import FaultProxy, S3Server, WebdavServer
from tests.store.sync.test_sync import fork


@pytest.fixture(params=["webdav", "s3"])
def remote(request, tmp_path: Path, monkeypatch):
    """(the hub's URL for gloss, the proxy in front of the server, names in the hub, secret)."""
    if request.param == "webdav":
        pytest.importorskip("wsgidav", reason="wsgidav is not installed (the test extra has it)")
        root = tmp_path / "dav"
        root.mkdir()
        with WebdavServer(root) as server, FaultProxy(server.url) as proxy:
            monkeypatch.setenv("GLOSS_WEBDAV_USER", server.user)
            monkeypatch.setenv("GLOSS_WEBDAV_PASSWORD", server.password)

            def names() -> list[str]:
                hub = root / "hub"
                return sorted(p.name for p in hub.iterdir()) if hub.exists() else []

            yield f"webdav+http://127.0.0.1:{proxy.port}/dav/hub", proxy, names, server.password
    else:
        pytest.importorskip("moto.server", reason="moto[server] is not installed (test extra)")
        with S3Server() as server, FaultProxy(server.endpoint) as proxy:
            for var in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
                monkeypatch.delenv(var, raising=False)
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.key)
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret)
            monkeypatch.setenv("AWS_DEFAULT_REGION", server.region)
            monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
            client = server.client()

            def names() -> list[str]:
                got = client.list_objects_v2(Bucket=server.bucket, Prefix="hub/")
                return sorted(o["Key"].rsplit("/", 1)[-1] for o in got.get("Contents", []))

            yield f"s3://{server.bucket}/hub", proxy, names, server.secret


@pytest.fixture
def pair(sample_library: Path, tmp_path: Path):
    a = fork(sample_library, tmp_path / "a.db")
    b = fork(sample_library, tmp_path / "b.db")
    yield a, b
    a.close()
    b.close()


def bodies(lib: Library) -> set[str]:
    return {n.body for n in lib.notes()}


def facts_files(names: list[str]) -> list[str]:
    return [n for n in names if n.endswith(pack.SUFFIX)]


def test_two_devices_sync_through_a_remote_hub(remote, pair):
    url, proxy, names, secret = remote
    a, b = pair
    aid = a.resolve("6055")
    a.add_note(aid, "from a, remotely")
    b.add_note(aid, "from b, remotely")
    first = a.sync(url)
    assert first.published and first.hub == url
    b.sync(url)
    a.sync(url)
    assert bodies(a) == bodies(b) == {"from a, remotely", "from b, remotely"}
    listed = names()
    assert len(facts_files(listed)) == 2 and listed == facts_files(listed)  # no temp left
    again = a.sync(url)
    assert again.peers == [] and again.published is None and names() == listed
    for lib in (a, b):  # the secret is in neither library nor the hub
        assert secret.encode() not in lib.path.read_bytes()
        assert all(url in (loc,) for (loc,) in lib.conn.execute("SELECT location FROM sync_hubs"))


def test_an_upload_cut_once_is_retried_and_completes(remote, pair):
    url, proxy, names, _ = remote
    a, b = pair
    a.add_note(a.resolve("6055"), "despite a cut")
    proxy.cut_uploads(times=1)
    report = a.sync(url)
    assert proxy.counts.cut == 1 and report.published
    assert facts_files(names()) == names()  # the cut upload left nothing under any name
    b.sync(url)
    assert "despite a cut" in bodies(b)


@pytest.mark.parametrize("fault", ["cut", "errors"])
def test_a_failing_server_leaves_no_fact_file_and_the_next_sync_completes(
    remote, pair, gloss, fault: str
):
    url, proxy, names, _ = remote
    a, b = pair
    b.sync(url)
    before = names()
    a.add_note(a.resolve("6055"), "after the server recovered")
    a_path = a.path
    a.close()
    if fault == "cut":
        proxy.cut_uploads(times=50)
    else:
        proxy.fail(status=503, times=50, methods=("PUT", "POST"))
    code, out, err = gloss("sync", url, db=a_path)
    assert code == 1 and "Traceback" not in out + err and "internal error" not in err
    assert err.strip().count("\n") == 0 and "cannot upload" in err, err
    assert names() == before  # nothing half-written under any name
    b.sync(url)
    assert "after the server recovered" not in bodies(b)
    proxy.clear()
    code, out, err = gloss("sync", url, "--json", db=a_path)
    assert code == 0, err
    assert json.loads(out)["published"]
    b.sync(url)
    assert "after the server recovered" in bodies(b)


def test_a_read_that_fails_is_read_again_at_the_next_sync(remote, pair):
    url, proxy, names, _ = remote
    a, b = pair
    a.add_note(a.resolve("6055"), "read on the second try")
    a.sync(url)
    proxy.fail(status=500, times=50, methods=("GET",))
    try:
        report = b.sync(url)  # WebDAV lists with PROPFIND: the file's GET fails, it is skipped
        assert [p.skipped is not None for p in report.peers] == [True]
    except LibraryError as exc:  # S3 lists with a GET: the sync fails, in one line
        assert "cannot list the hub" in str(exc) and "\n" not in str(exc)
    assert "read on the second try" not in bodies(b)
    proxy.clear()
    report = b.sync(url)
    assert [p.skipped for p in report.peers] == [None]
    assert "read on the second try" in bodies(b)


def test_wrong_credentials_are_one_line(remote, pair, gloss, monkeypatch):
    url, _, _, _ = remote
    a, _ = pair
    a_path = a.path
    a.close()
    monkeypatch.setenv("GLOSS_WEBDAV_PASSWORD", "wrong")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    code, out, err = gloss("sync", url, db=a_path)
    assert code == 1 and err.strip().count("\n") == 0 and "Traceback" not in err, err


def test_webdav_credentials_from_netrc(tmp_path: Path, pair, monkeypatch):
    """The URL carries no credentials and the environment none: ~/.netrc has them."""
    pytest.importorskip("wsgidav", reason="wsgidav is not installed (the test extra has it)")
    a, b = pair
    root = tmp_path / "dav"
    root.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    with WebdavServer(root) as server:
        netrc = home / ".netrc"
        netrc.write_text(f'machine 127.0.0.1 login {server.user} password "{server.password}"\n')
        netrc.chmod(0o600)
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.delenv("GLOSS_WEBDAV_USER", raising=False)
        monkeypatch.delenv("GLOSS_WEBDAV_PASSWORD", raising=False)
        url = f"webdav+http://127.0.0.1:{server.port}/dav/hub"
        a.add_note(a.resolve("6055"), "through netrc")
        assert a.sync(url).published
        b.sync(url)
        assert "through netrc" in bodies(b)
        netrc.write_text(f"machine 127.0.0.1 login {server.user} password wrong\n")
        with pytest.raises(LibraryError):
            b.sync(url)
