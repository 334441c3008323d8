"""Two real Syncthing instances on 127.0.0.1 sharing one folder, for tests and benchmarks.

`SyncthingPair(root).start()` runs Debian's `syncthing` twice, each with its own home under
`root`, its GUI/REST API and its sync protocol on free 127.0.0.1 ports, and configures both
only through the REST API: no global or local discovery, no relays, no NAT traversal, no
usage or crash reporting; each device knows the other at a static tcp://127.0.0.1 address;
one shared folder (each side its own directory) with the file watcher on and a short rescan.
`stop()` shuts both down (and kills what does not exit); use the pair as a context manager
or from a fixture so it runs also when a test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FOLDER_ID = "gloss-sync"
BAD_LINE = re.compile(r"WARNING|ERROR|FATAL|panic|fail|error|cannot|unable|denied|Puller", re.I)
NOT_SHARED = (".stfolder", ".stversions")  # Syncthing's own, not synced
# Syncthing's partial downloads, kept (unsynced) to resume an interrupted pull
PARTIAL = re.compile(r"^(\.syncthing\.|~syncthing~).*\.tmp$")


class SyncthingError(RuntimeError):
    """Syncthing did not start, answer or settle in time; the message says in what state."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(check: Callable[[], Any], timeout: float, what: Callable[[], str], every=0.1) -> Any:
    """Call `check` until it returns something truthy; SyncthingError with `what()` after
    `timeout` seconds. Errors talking to Syncthing count as not yet."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, SyncthingError):
            if found := check():
                return found
        if time.monotonic() > deadline:
            raise SyncthingError(f"timed out after {timeout:g}s waiting for {what()}")
        time.sleep(every)


@dataclass
class Instance:
    """One running Syncthing: its home, ports, folder, API key, device id and process."""

    name: str
    home: Path
    folder: Path
    gui_port: int = field(default_factory=free_port)
    listen_port: int = field(default_factory=free_port)
    api_key: str = ""
    device_id: str = ""
    process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.home / "syncthing.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def generate(self) -> None:
        """Keys and a default config (no folder), then read the API key and device id."""
        done = subprocess.run(
            ["syncthing", "generate", f"--home={self.home}", "--no-default-folder",
             "--skip-port-probing"],
            capture_output=True, text=True, timeout=60, env=_env(),
        )  # fmt: skip
        if done.returncode != 0:
            raise SyncthingError(f"syncthing generate failed: {done.stderr or done.stdout}")
        config = (self.home / "config.xml").read_text()
        key = re.search(r"<apikey>([^<]+)</apikey>", config)
        dev = re.search(r"Device ID: ([A-Z0-9-]+)", done.stdout + done.stderr)
        if not key or not dev:
            raise SyncthingError(f"no API key or device id from syncthing generate: {done}")
        self.api_key, self.device_id = key.group(1), dev.group(1)
        self._loopback_only()

    def _loopback_only(self) -> None:
        """Before the first start, so that not even its first second listens, announces or
        dials beyond 127.0.0.1 (the REST API sets the rest, and checks these again)."""
        import xml.etree.ElementTree as ET

        path = self.home / "config.xml"
        tree = ET.parse(path)
        options = tree.getroot().find("options")
        if options is None:
            raise SyncthingError(f"no <options> in {path}")
        for tag in ("listenAddress", "globalAnnounceServer"):
            for old in options.findall(tag):
                options.remove(old)
        ET.SubElement(options, "listenAddress").text = f"tcp://127.0.0.1:{self.listen_port}"
        for tag, value in (("globalAnnounceEnabled", "false"), ("localAnnounceEnabled",
                           "false"), ("relaysEnabled", "false"), ("natEnabled", "false"),
                           ("urAccepted", "-1"), ("crashReportingEnabled", "false"),
                           ("autoUpgradeIntervalH", "0"), ("startBrowser", "false")):  # fmt: skip
            node = options.find(tag)
            if node is None:
                node = ET.SubElement(options, tag)
            node.text = value
        tree.write(path)

    def launch(self) -> None:
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                ["syncthing", "serve", f"--home={self.home}", "--no-browser", "--no-restart",
                 "--no-upgrade", "--no-default-folder",
                 f"--gui-address=http://127.0.0.1:{self.gui_port}", "--logflags=3"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=_env(),
                start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()

    def api(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        """One REST call; the decoded JSON answer (None for an empty one)."""
        url = f"http://127.0.0.1:{self.gui_port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("X-API-Key", self.api_key)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace").strip()
            raise SyncthingError(f"{self.name}: {method} {path} -> {exc.code} {detail}") from None
        return json.loads(raw) if raw.strip() else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15) -> None:
        """Shut down through the API; terminate, then kill, what is still running."""
        p = self.process
        if p is None:
            return
        if p.poll() is None:
            with contextlib.suppress(OSError, SyncthingError):
                self.api("POST", "/rest/system/shutdown")
            for sig in (None, "terminate", "kill"):
                if sig:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(p.pid, 15 if sig == "terminate" else 9)
                try:
                    p.wait(timeout=timeout if sig is None else 5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.process = None


def _env() -> dict[str, str]:
    env = dict(os.environ, STNOUPGRADE="1", STNODEFAULTFOLDER="1", STNORESTART="1")
    env.pop("STGUIADDRESS", None)
    env.pop("STGUIAPIKEY", None)
    return env


OPTIONS = {
    "globalAnnounceEnabled": False,
    "localAnnounceEnabled": False,
    "relaysEnabled": False,
    "natEnabled": False,
    "urAccepted": -1,  # usage reporting declined: no prompt
    "crashReportingEnabled": False,
    "autoUpgradeIntervalH": 0,
    "startBrowser": False,
    "announceLANAddresses": False,
}


class SyncthingPair:
    """Devices a and b sharing FOLDER_ID: a's copy in root/a/folder, b's in root/b/folder."""

    def __init__(self, root: Path, rescan_s: int = 10, watcher_delay_s: int = 1) -> None:
        self.root = root
        self.rescan_s = rescan_s
        self.watcher_delay_s = watcher_delay_s
        self.a = Instance("a", root / "a" / "syncthing", root / "a" / "folder")
        self.b = Instance("b", root / "b" / "syncthing", root / "b" / "folder")

    @staticmethod
    def available() -> bool:
        return shutil.which("syncthing") is not None

    # -- life cycle -----------------------------------------------------------------------

    def start(self, timeout: float = 60) -> SyncthingPair:
        """Start and configure both; on any failure stop what started, then raise."""
        try:
            for st in self.sides:
                st.home.mkdir(parents=True)
                st.folder.mkdir(parents=True)
                st.generate()
                st.launch()
            for st in self.sides:
                poll(lambda st=st: self._up(st), timeout, lambda st=st: f"{st.name}'s REST API"
                     f" on 127.0.0.1:{st.gui_port}; log:\n{st.log()[-2000:]}")  # fmt: skip
            for st, other in ((self.a, self.b), (self.b, self.a)):
                self._configure(st, other)
            self.wait_connected(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _up(self, st: Instance) -> bool:
        if not st.alive():
            raise SyncthingError(f"syncthing {st.name} exited; log:\n{st.log()[-2000:]}")
        return st.api("GET", "/rest/system/status")["myID"] == st.device_id

    def _configure(self, st: Instance, other: Instance) -> None:
        st.api("PATCH", "/rest/config/options",
               dict(OPTIONS, listenAddresses=[f"tcp://127.0.0.1:{st.listen_port}"]))  # fmt: skip
        st.api("PUT", f"/rest/config/devices/{other.device_id}", {
            "deviceID": other.device_id, "name": other.name,
            "addresses": [f"tcp://127.0.0.1:{other.listen_port}"],
            "autoAcceptFolders": False, "paused": False,
        })  # fmt: skip
        st.api("PUT", f"/rest/config/folders/{FOLDER_ID}", {
            "id": FOLDER_ID, "label": "gloss", "path": str(st.folder), "type": "sendreceive",
            "devices": [{"deviceID": st.device_id}, {"deviceID": other.device_id}],
            "fsWatcherEnabled": True, "fsWatcherDelayS": self.watcher_delay_s,
            "rescanIntervalS": self.rescan_s, "paused": False,
            "pullerPauseS": 2,  # after a failed pull retry in 2 s, not 60
        })  # fmt: skip
        got = st.api("GET", "/rest/config/options")
        wrong = {k: got.get(k) for k, v in OPTIONS.items() if got.get(k) != v}
        if wrong:
            raise SyncthingError(f"{st.name}: options not taken: {wrong}")
        if st.api("GET", "/rest/config/restart-required")["requiresRestart"]:
            raise SyncthingError(f"{st.name}: the configuration asks for a restart")

    def stop(self) -> None:
        for st in self.sides:
            st.stop()

    def __enter__(self) -> SyncthingPair:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def sides(self) -> tuple[Instance, Instance]:
        return self.a, self.b

    def other(self, st: Instance) -> Instance:
        return self.b if st is self.a else self.a

    # -- folders and state ----------------------------------------------------------------

    def folder(self, side: str) -> Path:
        return getattr(self, side).folder

    def scan(self) -> None:
        """Scan both folders now (the call returns when the scan is done)."""
        for st in self.sides:
            st.api("POST", "/rest/db/scan", folder=FOLDER_ID)

    def connected(self) -> bool:
        return all(self._link(st)["connected"] for st in self.sides)

    def _link(self, st: Instance) -> dict[str, Any]:
        conns = st.api("GET", "/rest/system/connections")["connections"]
        return conns.get(self.other(st).device_id, {"connected": False, "paused": False})

    def wait_connected(self, timeout: float = 60) -> None:
        poll(self.connected, timeout, lambda: f"the two devices to connect; {self.state()}")

    def pause(self, timeout: float = 30) -> None:
        """Pause b on a (the connection drops for both) and wait until it is down. Only one
        side pauses: resuming both at once makes both dial at once, and Syncthing dials from
        its listening port, so the two dials can meet as one TCP connection (a simultaneous
        open) that hangs in the handshake for 20 s and then waits out the reconnect delay."""
        self.a.api("POST", "/rest/system/pause", device=self.b.device_id)
        poll(lambda: not any(self._link(st)["connected"] for st in self.sides), timeout,
             lambda: f"the connection to go down; {self.state()}")  # fmt: skip

    def resume(self, timeout: float = 90, scan: bool = True) -> None:
        """Scan first (so what changed while paused is indexed before the devices talk, as
        the watcher would have done in time), then unpause and wait for the connection."""
        if scan:
            self.scan()
        self.a.api("POST", "/rest/system/resume", device=self.b.device_id)
        self.wait_connected(timeout)

    def contents(self, side: str) -> dict[str, bytes]:
        """Every synced file of one side's folder: relative path -> bytes."""
        base = self.folder(side)
        found = {}
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if rel.parts[0] in NOT_SHARED or PARTIAL.match(path.name) or not path.is_file():
                continue
            with contextlib.suppress(FileNotFoundError):
                found[str(rel)] = path.read_bytes()
        return found

    def _settled(self, st: Instance) -> bool:
        status = st.api("GET", "/rest/db/status", folder=FOLDER_ID)
        done = st.api("GET", "/rest/db/completion", folder=FOLDER_ID,
                      device=self.other(st).device_id)  # fmt: skip
        return (
            self._link(st)["connected"]
            and status["state"] == "idle"
            and status["needTotalItems"] == 0
            and status.get("pullErrors", 0) == 0
            and done["completion"] == 100
            and done["needItems"] == 0
            and done["needDeletes"] == 0
        )

    def in_sync(self) -> bool:
        return all(self._settled(st) for st in self.sides) and (
            self.contents("a") == self.contents("b")
        )

    def wait_in_sync(self, timeout: float = 60) -> None:
        """Scan, then wait until both are idle, need nothing and hold the same files (seen
        twice in a row, so an index in flight cannot pass for agreement)."""
        self.scan()
        seen = [0]

        def twice() -> bool:
            seen[0] = seen[0] + 1 if self.in_sync() else 0
            return seen[0] >= 2

        poll(twice, timeout, lambda: f"both folders idle and in sync; {self.state()}", 0.2)

    def state(self) -> str:
        """Both sides' folder status, completion, connection and files, for a failure."""
        parts = []
        for st in self.sides:
            try:
                status = st.api("GET", "/rest/db/status", folder=FOLDER_ID)
                done = st.api("GET", "/rest/db/completion", folder=FOLDER_ID,
                              device=self.other(st).device_id)  # fmt: skip
                keys = ("state", "needTotalItems", "pullErrors", "errors", "sequence",
                        "localFiles", "globalFiles", "inSyncFiles")  # fmt: skip
                info = {k: status.get(k) for k in keys}
                info["peer"] = {k: done.get(k) for k in ("completion", "needItems", "needBytes")}
                info["connected"] = self._link(st)["connected"]
                errors = st.api("GET", "/rest/folder/errors", folder=FOLDER_ID)
                info["folder_errors"] = errors.get("errors")
            except (OSError, SyncthingError) as exc:
                info = {"unreachable": str(exc)}
            info["files"] = {k: len(v) for k, v in self.contents(st.name).items()}
            parts.append(f"{st.name}: {json.dumps(info, sort_keys=True)}")
        return "; ".join(parts)

    def conflict_copies(self, side: str) -> list[str]:
        return sorted(n for n in self.contents(side) if ".sync-conflict-" in n)

    # -- traffic and logs -----------------------------------------------------------------

    def bytes_moved(self) -> int:
        """Bytes both devices have sent so far (protocol overhead included): take the
        difference around one change to report what Syncthing moved for it."""
        total = 0
        for st in self.sides:
            total += st.api("GET", "/rest/system/connections")["total"]["outBytesTotal"]
        return total

    def logs(self) -> dict[str, str]:
        return {st.name: st.log() for st in self.sides}

    def problems(self, pattern: str) -> list[str]:
        """Log lines of either side that look like an error or warning and mention a file
        whose name matches the regex `pattern`."""
        name = re.compile(pattern)
        return [
            f"{side}: {line}"
            for side, text in self.logs().items()
            for line in text.splitlines()
            if BAD_LINE.search(line) and name.search(line)
        ]


@contextlib.contextmanager
def running_pair(root: Path, **kwargs: Any) -> Iterator[SyncthingPair]:
    """A started pair, stopped on the way out whatever happens."""
    pair = SyncthingPair(root, **kwargs)
    pair.start()
    try:
        yield pair
    finally:
        pair.stop()
