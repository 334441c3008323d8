"""Every service's importer, through the real CLI, given what is not its export: a device,
a FIFO, an empty file, random bytes, another service's export, a Markdown file. Each is
one line on stderr, exit code 1, and the library as it was (no internal error, no hang, no
memory blow-up: /dev/zero once made the ZIP reader read for ever)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ARTICLES, FIXTURES

SERVICES = ("omnivore", "pocket", "wallabag", "readwise", "hypothesis", "kindle", "instapaper")
OTHER = {  # another service's export, for each
    "omnivore": "wallabag/wallabag-export.json",
    "pocket": "readwise/readwise-data.csv",
    "wallabag": "hypothesis/export.json",
    "readwise": "instapaper/instapaper-export.csv",
    "hypothesis": "wallabag/wallabag-export.json",
    "kindle": "pocket/ril_export.html",
    "instapaper": "pocket/pocket-zip/part_000000.csv",
}


def inputs(tmp: Path, service: str) -> dict[str, Path]:
    fifo = tmp / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    (tmp / "empty").write_bytes(b"")
    (tmp / "random").write_bytes(os.urandom(5000))
    return {"device": Path("/dev/zero"), "fifo": fifo, "empty": tmp / "empty",
            "random": tmp / "random", "other": FIXTURES / "services" / OTHER[service],
            "markdown": Path(__file__).resolve().parents[4] / "README.md"}  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_not_the_export_is_one_line(service: str, gloss, tmp_path: Path, no_model) -> None:
    assert gloss("import", str(ARTICLES / "000_246f3351ffaac2ed.txt"))[0] == 0
    before = gloss("list", "--json")[1]
    for what, path in inputs(tmp_path, service).items():
        code, out, err = gloss("import-from", service, str(path))
        assert code == 1, (what, code, out, err)
        assert out == "" and err.count("\n") == 1 and err.startswith("gloss: "), (what, err)
        assert "internal error" not in err and "Traceback" not in err
    assert gloss("list", "--json")[1] == before
    assert gloss("check")[0] == 0


def test_gloss_import_of_a_file_of_no_service_imports_it_as_an_article(gloss, no_model) -> None:
    code, out, _ = gloss("import", str(ARTICLES / "000_246f3351ffaac2ed.txt"))
    assert code == 0 and out.splitlines()[-1] == "1 imported, 0 already present, 0 failed"
