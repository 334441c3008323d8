"""Where a hub's files live: a local folder (any file-sync tool's) or a remote store reached
through fsspec (WebDAV through webdav4, S3-compatible stores through s3fs).

A hub is flat: the files in one folder (or under one key prefix). A transport lists them,
reads one (bounded in bytes), writes one so that it never appears under its final name
before it is complete, and removes one (only ever a file this device wrote).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from store.core.errors import LibraryError

# A name that Syncthing (its temp-file prefix), Dropbox and Nextcloud (~*.tmp) all ignore,
# for the moment a pack is being written into a folder, before the rename.
TEMP_PREFIX = "~syncthing~gloss-"
TEMP_SUFFIX = ".tmp"
HEAD_BYTES = 100
RETRIES = 3  # a remote operation that fails (a server error, a cut connection) is tried again
TIMEOUT_S = 60  # a remote request: connect and read timeouts


@dataclass(frozen=True)
class Entry:
    """One file in a hub: its name, size, and a signature that changes when it does."""

    name: str
    size: int
    sig: str


class Hub:
    """The interface every transport has."""

    location: str  # how the user names it, without credentials (stored, shown)

    def entries(self) -> list[Entry]:
        raise NotImplementedError

    def head(self, name: str) -> bytes:
        raise NotImplementedError

    @contextlib.contextmanager
    def reading(self, name: str) -> Iterator[IO[bytes]]:
        raise NotImplementedError
        yield

    def publish(
        self, device: str, write: Callable[[IO[bytes]], str], name_of: Callable[[str], str],
        staging: Path,
    ) -> str:  # fmt: skip
        """Write a new file and return its name: `write(stream)` fills it and returns its
        digest, `name_of(digest)` names it, and it appears under that name only complete.
        `staging` is a private temp path a transport may write it to first."""
        raise NotImplementedError

    def remove(self, name: str) -> None:
        raise NotImplementedError

    def sig(self, name: str) -> str | None:
        """The signature `entries` gives the file now; None if it cannot be told."""
        raise NotImplementedError

    def age(self, name: str) -> float | None:
        """Seconds since the file was written, where a sync tool may still be copying it to
        other machines (a folder); None where a file is whole for every reader at once (a
        remote store) or it cannot be told."""
        return None


def is_ignored(name: str) -> bool:
    """Names that are never anyone's finished file: hidden files, sync tools' and our own
    temp files, editors' backups."""
    return (
        name.startswith((".", "~"))
        or name.endswith((".tmp", ".part", ".partial", "~", ".crdownload"))
        or name.endswith(("-wal", "-shm", "-journal"))  # SQLite's, beside a library file
        or name in ("desktop.ini", "Thumbs.db")
    )


# -- a local folder -----------------------------------------------------------------------


class FolderHub(Hub):
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder.resolve())

    def entries(self) -> list[Entry]:
        out = []
        try:
            listing = list(os.scandir(self.folder))
        except OSError as exc:
            raise LibraryError(f"cannot list {self.folder}: {exc.strerror or exc}") from None
        for item in listing:
            if is_ignored(item.name):
                continue
            try:
                st = item.stat(follow_symlinks=False)
            except OSError:
                continue
            if not item.is_file(follow_symlinks=False):
                continue  # a folder, a FIFO, a device, a symlink: never read
            out.append(Entry(item.name, st.st_size, _sig(st)))
        return sorted(out, key=lambda e: e.name)

    def sig(self, name: str) -> str | None:
        try:
            return _sig((self.folder / name).lstat())
        except OSError:
            return None

    def age(self, name: str) -> float | None:
        try:
            return max(0.0, time.time() - (self.folder / name).lstat().st_mtime)
        except OSError:
            return None

    def _open(self, name: str) -> IO[bytes]:
        path = self.folder / name
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise LibraryError(f"cannot read: {exc.strerror or exc}") from None
        f = os.fdopen(fd, "rb")
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            f.close()
            raise LibraryError("not a regular file")
        return f

    def head(self, name: str) -> bytes:
        with self._open(name) as f:
            return f.read(HEAD_BYTES)

    @contextlib.contextmanager
    def reading(self, name: str) -> Iterator[IO[bytes]]:
        with self._open(name) as f:
            yield f

    def publish(
        self, device: str, write: Callable[[IO[bytes]], str], name_of: Callable[[str], str],
        staging: Path,
    ) -> str:  # fmt: skip
        # written in the hub under a name sync tools ignore, then renamed: no second copy
        with contextlib.suppress(OSError):
            staging.unlink()
        tmp = self.folder / f"{TEMP_PREFIX}{device}-{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            with open(tmp, "x+b") as f:
                name = name_of(write(f))
                f.flush()
                os.fsync(f.fileno())
            final = self.folder / name
            if final.exists():  # never replace a file: names are never reused
                raise LibraryError(f"{final} exists already")
            os.rename(tmp, final)
            fsync_dir(self.folder)
        except OSError as exc:
            raise LibraryError(f"cannot write into {self.folder}: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        return name

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.folder / name).unlink()

    def clean_temps(self, device: str) -> None:
        """This device's temp files left by a sync that was killed (called under the sync
        lock: no sync of ours is writing one now; another device's are never touched)."""
        for path in self.folder.glob(f"{TEMP_PREFIX}{device}-*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                path.unlink()


def _sig(st: os.stat_result) -> str:
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- remote stores through fsspec -----------------------------------------------------------


REMOTE_SCHEMES = ("webdav", "webdav+http", "webdav+https", "dav", "davs", "s3")


def is_remote(target: str) -> bool:
    return "://" in target and target.split("://", 1)[0].lower() in REMOTE_SCHEMES


class RemoteHub(Hub):
    """A hub in a remote store. Writes go to a temp name and are moved into place (WebDAV:
    MOVE, done by the server) or are put whole under the final key (S3: an object appears
    only complete). Every operation is retried a few times and bounded in time."""

    def __init__(self, fs, root: str, location: str, atomic_put: bool) -> None:
        self.fs, self.root, self.location, self.atomic_put = (
            fs,
            root.rstrip("/"),
            location,
            atomic_put,
        )

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _retry(self, what: str, op: Callable[[], Any]) -> Any:
        for attempt in range(RETRIES):
            try:
                return op()
            except FileNotFoundError:
                raise
            except LibraryError:
                raise
            except Exception as exc:  # a server's error, a cut connection, a timeout
                if attempt == RETRIES - 1:
                    raise LibraryError(
                        f"{self.location}: cannot {what}: {_describe(exc)}"
                    ) from None
                time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    def entries(self) -> list[Entry]:
        def ls():
            try:
                return self.fs.ls(self.root, detail=True, refresh=True)
            except FileNotFoundError:
                if self.atomic_put:  # an S3 prefix exists once a key is under it
                    return []
                self.fs.makedirs(self.root, exist_ok=True)
                return []

        with contextlib.suppress(AttributeError):
            self.fs.invalidate_cache()
        out = []
        for item in self._retry("list the hub", ls):
            if item.get("type") != "file":
                continue
            name = str(item["name"]).rstrip("/").rsplit("/", 1)[-1]
            if is_ignored(name):
                continue
            out.append(Entry(name, int(item.get("size") or 0), _remote_sig(item)))
        return sorted(out, key=lambda e: e.name)

    def sig(self, name: str) -> str | None:
        try:
            return _remote_sig(
                self._retry(f"look at {name}", lambda: self.fs.info(self._path(name)))
            )
        except (LibraryError, FileNotFoundError):
            return None

    def head(self, name: str) -> bytes:
        def read():
            with self.fs.open(self._path(name), "rb", block_size=HEAD_BYTES) as f:
                return f.read(HEAD_BYTES)

        return self._retry(f"read {name}", read)

    @contextlib.contextmanager
    def reading(self, name: str) -> Iterator[IO[bytes]]:
        import tempfile

        # fetched whole into a private temp file first, so a retry starts again cleanly
        with tempfile.TemporaryFile() as tmp:

            def fetch():
                tmp.seek(0)
                tmp.truncate()
                with self.fs.open(self._path(name), "rb") as f:
                    shutil.copyfileobj(f, tmp, 1 << 20)

            self._retry(f"read {name}", fetch)
            tmp.seek(0)
            yield tmp

    def publish(
        self, device: str, write: Callable[[IO[bytes]], str], name_of: Callable[[str], str],
        staging: Path,
    ) -> str:  # fmt: skip
        try:
            with staging.open("w+b") as f:
                name = name_of(write(f))
            return self._upload(device, staging, name)
        except OSError as exc:
            raise LibraryError(f"cannot stage {staging}: {exc.strerror or exc}") from None
        finally:
            with contextlib.suppress(OSError):
                staging.unlink()

    def _upload(self, device: str, staged: Path, name: str) -> str:
        local = str(staged)
        if self.atomic_put:  # S3: an object appears whole or not at all
            self._retry(f"upload {name}", lambda: self.fs.put_file(local, self._path(name)))
            return name
        # WebDAV: a PUT cut short leaves its part under the name it was given, so it goes to
        # a temp name, then one MOVE (a rename on the server; `fs.mv` would be a COPY and a
        # DELETE) without overwrite puts it in place.
        temp = self._path(f"{TEMP_PREFIX}{device}-{secrets.token_hex(6)}{TEMP_SUFFIX}")
        try:
            self._retry(f"upload {name}", lambda: self.fs.put_file(local, temp))
            self._retry(f"move {name} into place", lambda: self._move(temp, name))
        finally:
            with contextlib.suppress(Exception):
                if self.fs.exists(temp):
                    self.fs.rm_file(temp)
        return name

    def _move(self, temp: str, name: str) -> None:
        try:
            self.fs.client.move(temp, self._path(name), overwrite=False)
        except Exception:
            if self.fs.exists(self._path(name)) and not self.fs.exists(temp):
                return  # the MOVE went through; its answer was lost
            raise

    def remove(self, name: str) -> None:
        def rm():
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(self._path(name))

        self._retry(f"remove {name}", rm)


def _remote_sig(item: dict) -> str:
    tag = item.get("ETag") or item.get("etag") or item.get("LastModified") or item.get("modified")
    return f"{int(item.get('size') or 0)}:{tag or ''}"


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def open_remote(url: str) -> RemoteHub:
    """A RemoteHub for a URL: `webdav://host/path` (HTTPS), `webdav+http://host:port/path`,
    `dav://`/`davs://` alike, or `s3://bucket/prefix`. Credentials: for WebDAV the URL's
    user and password, else GLOSS_WEBDAV_USER/GLOSS_WEBDAV_PASSWORD, else ~/.netrc; for S3
    the AWS chain (environment, ~/.aws/credentials and config, including endpoint_url or
    AWS_ENDPOINT_URL for S3-compatible stores). None is ever stored."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    location = strip_credentials(url)
    if parts.query or parts.fragment:
        raise LibraryError(f"{location}: a hub URL takes no query or fragment")
    try:
        import fsspec
    except ImportError as exc:  # pragma: no cover - installed with gloss
        raise LibraryError(f"remote hubs need fsspec: {exc}") from None
    if scheme == "s3":
        bucket = parts.netloc.rsplit("@", 1)[-1]
        if not bucket:
            raise LibraryError(f"{location}: no bucket (s3://BUCKET/PREFIX)")
        # retries: ours (RETRIES) over botocore's (2 attempts) and s3fs's own (once), so a
        # server that keeps failing is given up on within a dozen requests
        config = {"connect_timeout": 10, "read_timeout": TIMEOUT_S,
                  "retries": {"total_max_attempts": 2, "mode": "standard"}}  # fmt: skip
        kwargs: dict[str, Any] = {"config_kwargs": config}
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        try:
            fs = fsspec.filesystem("s3", skip_instance_cache=True, **kwargs)
            fs.retries = 1
        except Exception as exc:
            raise LibraryError(f"{location}: {_describe(exc)}") from None
        root = f"{bucket}/{parts.path.strip('/')}".rstrip("/")
        return RemoteHub(fs, root, location, atomic_put=True)
    http = "http" if scheme in ("webdav+http", "dav") else "https"
    if not parts.hostname:
        raise LibraryError(f"{location}: no host")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    auth = _webdav_auth(parts)
    try:
        import httpx

        fs = fsspec.filesystem(
            "webdav", base_url=f"{http}://{host}", auth=auth, skip_instance_cache=True,
            timeout=httpx.Timeout(TIMEOUT_S, connect=10),
        )  # fmt: skip
    except Exception as exc:
        raise LibraryError(f"{location}: {_describe(exc)}") from None
    return RemoteHub(fs, parts.path.rstrip("/") or "/", location, atomic_put=False)


def _webdav_auth(parts) -> tuple[str, str] | None:
    from urllib.parse import unquote

    if parts.username:
        return unquote(parts.username), unquote(parts.password or "")
    user, password = os.environ.get("GLOSS_WEBDAV_USER"), os.environ.get("GLOSS_WEBDAV_PASSWORD")
    if user:
        return user, password or ""
    import netrc

    with contextlib.suppress(FileNotFoundError, netrc.NetrcParseError, OSError):
        found = netrc.netrc().authenticators(parts.hostname or "")
        if found:
            return found[0] or "", found[2] or ""
    return None
