"""The remote hubs the sync tests use are real: fsspec's webdav4 and s3fs work against them, and the
fault proxy's cuts and error answers reach the client as the libraries report them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import fsspec
import httpx
import pytest

from tests.store.sync.servers import FaultProxy, S3Server, WebdavServer, wait_for

pytest.importorskip("webdav4", reason="webdav4 is not installed")
pytest.importorskip("s3fs", reason="s3fs is not installed")

from webdav4.client import HTTPError, ResourceAlreadyExists  # noqa: E402

DATA = bytes(range(256)) * 400  # 100 KiB, every byte value


def dav(url: str, server: WebdavServer, **kw) -> fsspec.AbstractFileSystem:
    """webdav4's filesystem; retry=False unless asked, so an injected error surfaces at once."""
    kw.setdefault("auth", (server.user, server.password))
    kw.setdefault("retry", False)
    return fsspec.filesystem("webdav", base_url=url, skip_instance_cache=True, **kw)


def s3(endpoint: str, server: S3Server, retries: bool = False, **kw) -> fsspec.AbstractFileSystem:
    """s3fs on `endpoint`; without `retries`, neither botocore nor s3fs tries a call again."""
    kw.setdefault("key", server.key)
    kw.setdefault("secret", server.secret)
    if not retries:
        kw["config_kwargs"] = {"retries": {"total_max_attempts": 1}, **kw.get("config_kwargs", {})}
    fs = fsspec.filesystem("s3", endpoint_url=endpoint, skip_instance_cache=True, **kw)
    if not retries:
        fs.retries = 1  # s3fs's own loop around botocore's
    return fs


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# WebDAV


def test_webdav_write_list_read_move_delete(webdav_server: WebdavServer) -> None:
    fs = dav(webdav_server.url, webdav_server)
    fs.mkdir("hub")
    fs.pipe_file("hub/a.bin", DATA)
    [entry] = fs.ls("hub", detail=True)
    assert (entry["name"], entry["type"], entry["size"]) == ("hub/a.bin", "file", len(DATA))
    assert entry["etag"] and entry["modified"].tzinfo is not None
    assert fs.cat_file("hub/a.bin") == DATA
    assert (webdav_server.root / "hub" / "a.bin").read_bytes() == DATA

    fs.client.move("hub/a.bin", "hub/b.bin")
    assert fs.ls("hub", detail=False) == ["hub/b.bin"]
    fs.mv("hub/b.bin", "hub/c.bin")
    assert fs.ls("hub", detail=False) == ["hub/c.bin"]
    fs.rm("hub/c.bin")
    assert fs.ls("hub", detail=False) == []
    assert list((webdav_server.root / "hub").iterdir()) == []


def test_webdav_move_is_one_rename_and_fs_mv_is_copy_then_delete(
    webdav_server: WebdavServer, webdav_proxy: FaultProxy
) -> None:
    fs = dav(webdav_proxy.url, webdav_server)
    fs.pipe_file("a", b"first")
    inode = (webdav_server.root / "a").stat().st_ino
    webdav_proxy.counts.requests.clear()
    fs.client.move("a", "b")
    assert dict(webdav_proxy.counts.requests) == {"MOVE": 1}
    assert (webdav_server.root / "b").stat().st_ino == inode  # renamed, not copied

    fs.pipe_file("c", b"other")
    with pytest.raises(ResourceAlreadyExists):  # Overwrite: F, answered 412
        fs.client.move("b", "c")
    assert fs.cat_file("c") == b"other"

    webdav_proxy.counts.requests.clear()
    fs.mv("b", "d")
    assert webdav_proxy.counts.requests["COPY"] == 1
    assert webdav_proxy.counts.requests["DELETE"] == 1
    assert "MOVE" not in webdav_proxy.counts.requests


def test_webdav_refuses_a_wrong_password_and_reports_a_missing_file(
    webdav_server: WebdavServer,
) -> None:
    with pytest.raises(HTTPError) as refused:
        dav(webdav_server.url, webdav_server, auth=(webdav_server.user, "wrong")).ls("")
    assert refused.value.status_code == 401
    with pytest.raises(HTTPError) as anonymous:
        dav(webdav_server.url, webdav_server, auth=None).ls("")
    assert anonymous.value.status_code == 401
    fs = dav(webdav_server.url, webdav_server)
    with pytest.raises(FileNotFoundError):
        fs.cat_file("nothing-here")
    with pytest.raises(FileNotFoundError):
        fs.ls("no-folder")


def test_webdav_reads_netrc_only_when_asked(
    webdav_server: WebdavServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / ".netrc"
    line = f'machine 127.0.0.1 login {webdav_server.user} password "{webdav_server.password}"\n'
    netrc.write_text(line)
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(HTTPError) as refused:  # httpx's trust_env does not read ~/.netrc
        dav(webdav_server.url, webdav_server, auth=None).ls("")
    assert refused.value.status_code == 401
    assert dav(webdav_server.url, webdav_server, auth=httpx.NetRCAuth()).ls("") == []


def test_webdav_cut_upload_fails_leaves_a_partial_file_and_a_retry_succeeds(
    webdav_server: WebdavServer, webdav_proxy: FaultProxy
) -> None:
    fs = dav(webdav_proxy.url, webdav_server)
    webdav_proxy.cut_uploads(times=1, methods=("PUT",))
    with pytest.raises(httpx.RemoteProtocolError):
        fs.pipe_file("a.bin", DATA)
    assert webdav_proxy.counts.cut == 1
    assert webdav_proxy.counts.cut_bytes == [(len(DATA) // 2, len(DATA))]
    # wsgidav writes a PUT straight into the final name: half a file stays there, listed.
    target = webdav_server.root / "a.bin"
    wait_for(lambda: target.exists() and target.stat().st_size == len(DATA) // 2, "half written")
    assert fs.info("a.bin")["size"] == len(DATA) // 2

    fs.pipe_file("a.bin", DATA)
    assert fs.cat_file("a.bin") == DATA
    assert webdav_proxy.counts.requests["PUT"] == 2


def test_webdav_error_answers_surface(
    webdav_server: WebdavServer, webdav_proxy: FaultProxy
) -> None:
    fs = dav(webdav_proxy.url, webdav_server)
    fs.pipe_file("a", b"a")
    webdav_proxy.fail(status=503, times=1, methods=("PUT",))
    with pytest.raises(HTTPError) as unavailable:
        fs.pipe_file("b", b"b")
    assert unavailable.value.status_code == 503
    webdav_proxy.fail(status=500, times=1)
    with pytest.raises(HTTPError) as broken:
        fs.ls("")
    assert broken.value.status_code == 500
    assert webdav_proxy.counts.failed_statuses == [503, 500]
    assert fs.ls("", detail=False) == ["a"]  # rules used up: everything passes again
    assert not (webdav_server.root / "b").exists()


def test_webdav_retries_a_503_on_its_own_but_never_a_put(
    webdav_server: WebdavServer, webdav_proxy: FaultProxy
) -> None:
    fs = dav(webdav_proxy.url, webdav_server, retry=True)  # webdav4's default
    fs.pipe_file("a", b"a")
    webdav_proxy.fail(status=503, times=1, methods=("PROPFIND",))
    assert fs.ls("", detail=False) == ["a"]
    assert webdav_proxy.counts.failed == 1
    webdav_proxy.fail(status=503, times=1, methods=("PUT",))
    with pytest.raises(HTTPError):
        fs.pipe_file("b", b"b")


def test_webdav_connection_refused() -> None:
    fs = fsspec.filesystem(
        "webdav", base_url=f"http://127.0.0.1:{free_port()}/dav/", skip_instance_cache=True
    )
    with pytest.raises(httpx.ConnectError):
        fs.ls("")


# S3


def test_s3_write_list_read_move_delete(s3_server: S3Server) -> None:
    fs = s3(s3_server.endpoint, s3_server)
    hub = f"{s3_server.bucket}/hub"
    fs.pipe_file(f"{hub}/a.bin", DATA)
    [entry] = fs.ls(hub, detail=True)
    assert (entry["name"], entry["type"], entry["size"]) == (f"{hub}/a.bin", "file", len(DATA))
    assert entry["ETag"] == f'"{hashlib.md5(DATA).hexdigest()}"'  # one PUT: the MD5
    assert entry["LastModified"].tzinfo is not None
    assert fs.cat_file(f"{hub}/a.bin") == DATA

    fs.mv(f"{hub}/a.bin", f"{hub}/b.bin")
    assert fs.ls(hub, detail=False, refresh=True) == [f"{hub}/b.bin"]
    fs.rm(f"{hub}/b.bin")
    assert fs.find(s3_server.bucket) == []
    with pytest.raises(FileNotFoundError):
        fs.cat_file(f"{hub}/b.bin")


def test_s3_checks_keys_and_reports_a_missing_bucket(s3_server: S3Server) -> None:
    for key, secret in [(s3_server.key, "wrong"), ("AKIAUNKNOWNUNKNOWN00", s3_server.secret)]:
        with pytest.raises(PermissionError):
            s3(s3_server.endpoint, s3_server, key=key, secret=secret).ls(s3_server.bucket)
    with pytest.raises(FileNotFoundError):
        s3(s3_server.endpoint, s3_server).ls("no-such-bucket/x")


def test_s3_create_mode_refuses_an_existing_key(s3_server: S3Server) -> None:
    fs = s3(s3_server.endpoint, s3_server)
    path = f"{s3_server.bucket}/once"
    fs.pipe_file(path, b"first", mode="create")  # If-None-Match: *
    with pytest.raises(FileExistsError):
        fs.pipe_file(path, b"second", mode="create")
    assert fs.cat_file(path) == b"first"


def test_s3_cut_put_leaves_nothing_and_a_retry_succeeds(
    s3_server: S3Server, s3_proxy: FaultProxy
) -> None:
    import botocore.exceptions

    fs = s3(s3_proxy.url, s3_server)
    path = f"{s3_server.bucket}/hub/a.bin"
    # aiohttp resends once by itself when a kept-alive connection drops: cut until told.
    s3_proxy.cut_uploads(times=100, methods=("PUT",))
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        fs.pipe_file(path, DATA)
    assert s3_proxy.counts.cut >= 1
    direct = s3(s3_server.endpoint, s3_server)
    assert direct.find(s3_server.bucket) == []  # a PUT is all or nothing

    s3_proxy.clear()
    fs.pipe_file(path, DATA)
    assert direct.cat_file(path) == DATA


def test_s3_retries_a_cut_upload_on_its_own(s3_server: S3Server, s3_proxy: FaultProxy) -> None:
    fs = s3(s3_proxy.url, s3_server, retries=True)
    path = f"{s3_server.bucket}/a.bin"
    s3_proxy.cut_uploads(times=2)
    fs.pipe_file(path, DATA)
    assert s3_proxy.counts.cut == 2
    assert s3_proxy.counts.requests["PUT"] == 3
    assert s3(s3_server.endpoint, s3_server).cat_file(path) == DATA


def test_s3_multipart_cut_leaves_an_upload_to_abort(
    s3_server: S3Server, s3_proxy: FaultProxy
) -> None:
    import botocore.exceptions

    fs = s3(s3_proxy.url, s3_server)
    part = 5 * 2**20  # S3's smallest part
    path = f"{s3_server.bucket}/big.bin"
    f = fs.open(path, "wb", block_size=part)
    f.write(b"a" * (part + 1))  # past the block size: starts a multipart upload, sends part 1
    assert s3_proxy.counts.requests == {"POST": 1, "PUT": 1}
    s3_proxy.cut_uploads(times=100, methods=("PUT",))
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        f.write(b"b" * part)
    direct = s3(s3_server.endpoint, s3_server)
    assert direct.find(s3_server.bucket) == []
    uploads = s3_server.client().list_multipart_uploads(Bucket=s3_server.bucket)["Uploads"]
    assert [u["Key"] for u in uploads] == ["big.bin"]  # invisible, but kept (and billed)
    f.discard()  # aborts it; close() would have committed what was buffered
    f.closed = True  # discard() leaves it open, and its __del__ would fail in close()
    assert "Uploads" not in s3_server.client().list_multipart_uploads(Bucket=s3_server.bucket)

    s3_proxy.clear()
    with fs.open(path, "wb", block_size=part) as f:
        f.write(b"a" * (part + 1))
        f.write(b"b" * part)
    entry = direct.info(path)
    assert entry["size"] == 2 * part + 1
    assert re.fullmatch(r'"[0-9a-f]{32}-2"', entry["ETag"])  # parts' MD5s' MD5, and a count


def test_s3_error_answers_surface(s3_server: S3Server, s3_proxy: FaultProxy) -> None:
    fs = s3(s3_proxy.url, s3_server)
    path = f"{s3_server.bucket}/a"
    fs.pipe_file(path, b"a")
    s3_proxy.fail(status=503, times=1, methods=("PUT",))
    with pytest.raises(OSError) as unavailable:
        fs.pipe_file(f"{s3_server.bucket}/b", b"b")
    assert unavailable.value.errno == 16  # EBUSY, s3fs's reading of 503
    s3_proxy.fail(status=500, times=1, methods=("GET",))
    with pytest.raises(OSError) as broken:
        fs.ls(s3_server.bucket, refresh=True)
    assert broken.value.errno == 121  # EREMOTEIO
    assert s3_proxy.counts.failed_statuses == [503, 500]
    assert fs.ls(s3_server.bucket, detail=False, refresh=True) == [path]


def test_s3_retries_503s_on_its_own(s3_server: S3Server, s3_proxy: FaultProxy) -> None:
    fs = s3(s3_proxy.url, s3_server, retries=True)
    path = f"{s3_server.bucket}/a"
    s3_proxy.fail(status=503, times=2, methods=("PUT",))
    fs.pipe_file(path, b"a")
    assert s3_proxy.counts.requests["PUT"] == 3
    assert s3(s3_server.endpoint, s3_server).cat_file(path) == b"a"


def test_s3_connection_refused(s3_server: S3Server) -> None:
    import botocore.exceptions

    fs = s3(f"http://127.0.0.1:{free_port()}", s3_server)
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        fs.ls(s3_server.bucket)


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AWS settings but the test's own: a fresh HOME and no AWS_* variables."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_s3_takes_keys_and_endpoint_from_the_environment(
    s3_server: S3Server, aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint)
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.pipe_file(f"{s3_server.bucket}/env", b"e")
    assert fs.s3.meta.endpoint_url == s3_server.endpoint
    assert fs.ls(s3_server.bucket, detail=False) == [f"{s3_server.bucket}/env"]


@pytest.mark.parametrize("where", ["home", "AWS_CONFIG_FILE"])
def test_s3_takes_keys_and_endpoint_from_the_config_file(
    s3_server: S3Server, aws_home: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    import s3fs

    config = aws_home / ".aws" / "config" if where == "home" else aws_home / "gloss.ini"
    config.parent.mkdir(exist_ok=True)
    config.write_text(
        "[profile gloss]\n"
        f"endpoint_url = {s3_server.endpoint}\n"
        f"aws_access_key_id = {s3_server.key}\n"
        f"aws_secret_access_key = {s3_server.secret}\n"
    )
    if where == "AWS_CONFIG_FILE":
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    fs = s3fs.S3FileSystem(profile="gloss", skip_instance_cache=True)
    fs.pipe_file(f"{s3_server.bucket}/conf", b"c")
    assert fs.cat_file(f"{s3_server.bucket}/conf") == b"c"


# The proxy itself


def test_proxy_passes_everything_through_until_told(
    webdav_server: WebdavServer, webdav_proxy: FaultProxy
) -> None:
    fs = dav(webdav_proxy.url, webdav_server)
    big = DATA * 20  # 2 MB each way
    fs.pipe_file("big", big)
    assert fs.cat_file("big") == big
    assert fs.info("big")["size"] == len(big)
    counts = webdav_proxy.counts
    assert counts.passed == sum(counts.requests.values()) and counts.cut == counts.failed == 0
    webdav_proxy.fail(status=503, times=5, methods=("GET",))
    webdav_proxy.clear()
    assert fs.cat_file("big") == big
    assert counts.failed == 0


def test_webdav_timeout_bounds_a_stalled_server(
    webdav_server: WebdavServer, webdav_proxy: FaultProxy
) -> None:
    fs = dav(webdav_proxy.url, webdav_server, timeout=httpx.Timeout(0.5))
    webdav_proxy.stall(methods=("PROPFIND",))
    with pytest.raises(httpx.ReadTimeout):
        fs.ls("")
    webdav_proxy.clear()
    assert webdav_proxy.counts.stalled == 1
    assert fs.ls("") == []


def test_s3_timeout_bounds_a_stalled_server(s3_server: S3Server, s3_proxy: FaultProxy) -> None:
    import botocore.exceptions

    fs = s3(s3_proxy.url, s3_server, config_kwargs={"read_timeout": 0.5})
    s3_proxy.stall(methods=("GET",))
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        fs.ls(s3_server.bucket)
    s3_proxy.clear()
    assert s3_proxy.counts.stalled == 1
    assert fs.ls(s3_server.bucket, refresh=True) == []
