"""The data layer never imports the terminal layer, and nothing but analysis loads spaCy."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_store_imports_no_textual_rich_or_spacy() -> None:
    loaded = modules_after("import store, store.library, store.ingest.importer, store.ingest.parse")
    assert "store.library" in loaded
    assert not {"textual", "rich", "tui", "spacy"} & loaded


def test_opening_and_listing_do_not_load_spacy(tmp_path) -> None:
    db = tmp_path / "x.db"
    loaded = modules_after(
        f"from store import Library; lib = Library.open({str(db)!r}); lib.list_articles();"
        " lib.stats(); lib.tags()"
    )
    assert "spacy" not in loaded


def test_cli_module_does_not_load_spacy() -> None:
    assert "spacy" not in modules_after("import tui.cli")


def test_app_start_up_imports_stay_light() -> None:
    """Opening the app never pays for spaCy, trafilatura, or sqlite-utils (and its numpy)."""
    loaded = modules_after("import tui.app")
    assert not {"spacy", "trafilatura", "sqlite_utils", "numpy", "yaml"} & loaded


def test_no_import_cycles() -> None:
    """No module of store or tui reaches itself through its imports, lazy ones included
    (import-linter's layers keep the layers apart; this keeps each layer acyclic too)."""
    import grimp

    graph = grimp.build_graph("store", "tui")
    cycles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if imported.split(".")[0] in ("store", "tui")
            and graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert cycles == []
