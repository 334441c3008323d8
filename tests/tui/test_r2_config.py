"""The config file (config.toml): rebound keys, theme, reading width, browser, editor, date
format and list columns; a broken file is one line and the defaults; `gloss config`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import opened, screen_text, settle
from tui import config, keymap
from tui.app import GlossApp
from tui.screens.library import LibraryScreen
from tui.screens.modals import NoteEditor, TagEditor
from tui.screens.reader import ReaderScreen
from tui.widgets.article_list import ArticleList
from tui.widgets.article_view import ArticleView

SIZE = (120, 40)
ECB = "e11fcf365aca9ed2af11d0fd558b7af9"  # European Central Bank Holds Rates (has a URL)
ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def notices(app: GlossApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def config_notices(app: GlossApp) -> list[str]:
    return [m for m, _ in notices(app) if m.startswith("config ")]


async def open_article(pilot: Pilot, path: Path, article_id: str) -> ReaderScreen:
    await settle(pilot)
    with opened(path) as lib:
        ids = [a.id for a in lib.list_articles()]
    pilot.app.screen.query_one(ArticleList).cursor = ids.index(article_id)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReaderScreen)
    return screen


# -- keys -----------------------------------------------------------------------------------


async def test_a_rebound_key_works_after_a_restart(lib_path: Path, own_config: Path) -> None:
    write_config(own_config, '[keys]\n"library.star" = "x"\n"reader.highlight" = "H"\n')
    for _ in range(2):  # a restart reads the file again and binds the same keys
        config._read.cache_clear()
        app = GlossApp(lib_path)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            first = app.screen.query_one(ArticleList).current
            assert first is not None
            with opened(lib_path) as lib:
                before = lib.summary(first.id).starred
            await pilot.press("s")  # no longer star
            await settle(pilot)
            with opened(lib_path) as lib:
                assert lib.summary(first.id).starred == before
            await pilot.press("x")
            await settle(pilot)
            with opened(lib_path) as lib:
                assert lib.summary(first.id).starred != before
            assert config_notices(app) == []
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("j", "h")  # h is free now: nothing highlighted
        await settle(pilot)
        with opened(lib_path) as lib:
            assert lib.notes(ECB) == []
        await pilot.press("H")
        await settle(pilot)
        with opened(lib_path) as lib:
            [note] = lib.notes(ECB)
        assert note.is_highlight


async def test_key_problems_are_one_line_and_the_app_starts(
    lib_path: Path, own_config: Path
) -> None:
    write_config(
        own_config,
        '[keys]\n"library.star" = "r"\n"library.nope" = "z"\n"reader.note" = "ctrl+nokey"\n'
        '"reader.tags" = "ctrl+p"\n',
    )
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LibraryScreen)
        [line] = config_notices(app)
        assert "\n" not in line and str(own_config) in line
        assert "unknown binding id `library.nope`" in line
        assert "`reader.note`: unknown key name ctrl+nokey" in line
        assert "r is bound twice in library (library.star, library.toggle_read)" in line
        assert "ctrl+p (`reader.tags`) is Textual's command palette, which wins" in line


async def test_a_rebinding_onto_another_actions_key_is_not_applied(
    lib_path: Path, own_config: Path
) -> None:
    """`"library.sort" = "t"` (t is Tags): reported, and both keep their keys (t opens the
    tag editor, S still sorts), as the README says; a rebinding beside it still applies."""
    write_config(own_config, '[keys]\n"library.sort" = "t"\n"library.star" = "x"\n')
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        [line] = config_notices(app)
        assert "t is bound twice in library (library.sort, library.tags)" in line
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        before = screen.sort
        await pilot.press("S")
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert screen.sort != before
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TagEditor)
        await pilot.press("escape")
        await settle(pilot)
        first = screen.query_one(ArticleList).current
        assert first is not None
        with opened(lib_path) as lib:
            starred = lib.summary(first.id).starred
        await pilot.press("x")
        await settle(pilot)
        with opened(lib_path) as lib:
            assert lib.summary(first.id).starred != starred


def test_applicable_drops_each_clashing_rebinding_only() -> None:
    bindings = keymap.all_bindings(GlossApp)
    wanted = {"library.sort": "t", "library.star": "x", "library.nope": "z", "reader.note": "??"}
    assert keymap.applicable(wanted, bindings) == {"library.star": "x"}
    swap = {"library.sort": "t", "library.tags": "S"}  # a swap is no clash
    assert keymap.applicable(swap, bindings) == swap


def test_every_binding_has_an_id_of_its_screen() -> None:
    bindings = keymap.all_bindings(GlossApp)
    assert len(bindings) > 60
    screens = {b.id.partition(".")[0] for b in bindings if b.id}
    assert {"app", "library", "reader", "search", "entities", "entity_page", "conflict"} <= screens
    assert all(b.id and "." in b.id for b in bindings)
    # the default keys give no conflicts: only what a config rebinds is checked
    assert keymap.problems({}, bindings) == []


@pytest.mark.parametrize(
    ("key", "bad"),
    [("x", False), ("ctrl+e", False), ("f5", False), ("question_mark", False),
     ("right_square_bracket", False), ("shift+tab", False), ("H", False), ("ctrl+", True),
     ("hyperkey", True), ("cmd+x", True)],
)  # fmt: skip
def test_key_names(key: str, bad: bool) -> None:
    assert keymap.bad_key(keymap.normalise(key)[0] if keymap.normalise(key) else key) == bad


# -- a broken file --------------------------------------------------------------------------


async def test_bad_toml_is_one_line_naming_the_line_and_defaults_are_used(
    lib_path: Path, own_config: Path
) -> None:
    write_config(own_config, 'reading_width = 60\ntheme = "nord\n[keys]\n"library.star" = "x"\n')
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        [line] = config_notices(app)
        assert "line 2" in line and "\n" not in line
        assert app.settings.reading_width == config.DEFAULT_WIDTH
        first = app.screen.query_one(ArticleList).current
        assert first is not None
        await pilot.press("s")  # the default star key
        await settle(pilot)
        with opened(lib_path) as lib:
            assert lib.summary(first.id).starred


def test_wrong_types_and_unknown_keys_keep_their_defaults(own_config: Path) -> None:
    write_config(
        own_config,
        'reading_width = "wide"\ncolour = 3\nlist_columns = ["title", "size"]\n'
        'date_format = "%d %b %Y"\nbrowser_in_terminal = "yes"\n',
    )
    got = config.settings()
    assert got.reading_width == config.DEFAULT_WIDTH
    assert got.list_columns == config.COLUMNS
    assert got.browser_in_terminal is False
    assert got.date_format == "%d %b %Y"  # the good key is kept
    assert got.problems == (
        "`reading_width` must be a whole number of columns, 20 or more",
        "unknown key `colour`",
        "`list_columns` has unknown columns size"
        " (known: unread, star, title, byline, date, tags, notes)",
        "`browser_in_terminal` must be true or false",
    )


def test_the_template_parses_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    assert config.write_template(path)
    assert not config.write_template(path)  # an existing file is left alone
    got = config._read(path)
    assert got == config.Settings(path)
    text = path.read_text()
    for key in config.CHECKS:
        assert f"# {key} =" in text or f"[{key}]" in text, key


# -- theme ----------------------------------------------------------------------------------


async def test_a_picked_theme_is_remembered_and_the_configs_wins(
    lib_path: Path, own_config: Path
) -> None:
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.theme = "solarized-light"  # as the palette's "Change theme" does
        await settle(pilot)
    assert config.remembered_theme() == "solarized-light"
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "solarized-light"
    write_config(own_config, 'theme = "nord"\n')
    config._read.cache_clear()
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await settle(pilot)
        assert any("theme = 'nord'" in m for m, _ in notices(app))
    assert config.remembered_theme() == "gruvbox"
    assert "nord" in own_config.read_text()  # the user's file is never rewritten


async def test_an_unknown_theme_is_reported(lib_path: Path, own_config: Path) -> None:
    write_config(own_config, 'theme = "no-such-theme"\n')
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        [line] = config_notices(app)
        assert "unknown theme `no-such-theme`" in line


# -- gloss config ---------------------------------------------------------------------------


def gloss(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `gloss` command, in a process of its own."""
    argv = [sys.executable, "-c", "from tui.cli import main; main()", *args]
    env = {**os.environ, **env}
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, check=False)


def test_gloss_config_path_and_edit(tmp_path: Path, own_config: Path) -> None:
    env = {"GLOSS_CONFIG": str(own_config)}
    done = gloss("config", "path", env=env)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, str(own_config), "")
    editor = tmp_path / "ed.py"
    editor.write_text(
        "import sys\np = sys.argv[1]\ntext = open(p).read()\n"
        "open(p, 'w').write('reading_width = 70\\n' + text)\n"
    )
    env["EDITOR"] = f"{sys.executable} {editor}"
    env["VISUAL"] = ""
    done = gloss("config", "edit", env=env)
    assert done.returncode == 0, done.stderr
    text = own_config.read_text()
    assert text == "reading_width = 70\n" + config.TEMPLATE
    config._read.cache_clear()
    assert config.settings().reading_width == 70
    env["EDITOR"] = "/no/such/editor"
    done = gloss("config", "edit", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("gloss: ") and done.stderr.count("\n") == 1, done.stderr
    assert "/no/such/editor" in done.stderr


def test_gloss_config_check_reports_problems(own_config: Path) -> None:
    write_config(own_config, '[keys]\n"library.nope" = "z"\n')
    done = gloss("config", "check", env={"GLOSS_CONFIG": str(own_config)})
    assert done.returncode == 1
    assert "unknown binding id `library.nope`" in done.stderr
    assert done.stderr.count("\n") == 1
    write_config(own_config, "reading_width = 70\n")
    done = gloss("config", "check", env={"GLOSS_CONFIG": str(own_config)})
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert "no problems" in done.stdout


# -- reading width, dates, columns ----------------------------------------------------------


async def test_reading_width_sets_the_longest_line(lib_path: Path, own_config: Path) -> None:
    async def longest() -> int:
        app = GlossApp(lib_path)
        async with app.run_test(size=(160, 40)) as pilot:
            await open_article(pilot, lib_path, ECB)
            view = app.screen.query_one(ArticleView)
            # (a row's text ends with the space it was broken at)
            return max(len(view.text[row.start : row.end].rstrip()) for row in view._rows)

    assert 80 < await longest() <= config.DEFAULT_WIDTH
    write_config(own_config, "reading_width = 50\n")
    config._read.cache_clear()
    assert 40 < await longest() <= 50


async def test_date_format_and_list_columns(lib_path: Path, own_config: Path) -> None:
    write_config(own_config, 'date_format = "%d %b %Y"\nlist_columns = ["date", "title", "star"]\n')
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.screen.query_one(ArticleList)
        ecb = next(listing.summary_at(i) for i in range(5) if listing.summary_at(i).id == ECB)
        text = screen_text(pilot)
        line = next(row for row in text.splitlines() if ecb.title in row)
        assert " 16 Apr 2026 European Central Bank" in line, line  # the date first
        assert "Henrik" not in line and "●" not in line  # no byline, no unread column
        await open_article(pilot, lib_path, ECB)
        assert "16 Apr 2026" in screen_text(pilot)  # the reader's header too
        assert config_notices(app) == []


def test_show_date_keeps_what_is_not_a_date() -> None:
    assert config.show_date("2026-04-16T09:00:00+00:00", "%d/%m/%y") == "16/04/26"
    assert config.show_date("2026-04-16", "%A %d %B") == "Thursday 16 April"
    assert config.show_date("sometime in 2024", "%d/%m/%y") == "sometime i"
    assert config.show_date(None, "%d/%m/%y") == ""
    assert config.date_width("%d %B %Y") == len("30 September 2026")


# -- the browser for o ----------------------------------------------------------------------


def recorder(tmp_path: Path, name: str, code: int = 0) -> tuple[Path, Path]:
    """A stand-in program that writes its arguments to a file, then exits with `code`."""
    out = tmp_path / f"{name}.out"
    script = tmp_path / f"{name}.py"
    script.write_text(
        f"import json, sys\nopen({str(out)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        f"sys.exit({code})\n"
    )
    return script, out


async def test_o_runs_the_configured_browser(
    lib_path: Path, own_config: Path, tmp_path: Path
) -> None:
    script, out = recorder(tmp_path, "browser")
    write_config(
        own_config,
        f"browser = '{sys.executable} {script} --new-tab %s'\nbrowser_in_terminal = true\n",
    )
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_article(pilot, lib_path, ECB)
        url = screen.article.summary.source  # type: ignore[union-attr]
        assert url and url.startswith("http")
        await pilot.press("o")
        await settle(pilot)
        assert json.loads(out.read_text()) == ["--new-tab", url]
        assert not any("copied" in m for m, _ in notices(app))


async def test_a_browser_that_cannot_start_is_one_line(lib_path: Path, own_config: Path) -> None:
    write_config(own_config, "browser = '/no/such/browser'\n")
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_article(pilot, lib_path, ECB)
        await pilot.press("o")
        await settle(pilot)
        [line] = [m for m, s in notices(app) if "/no/such/browser" in m]
        assert "could not start" in line and "\n" not in line


def test_browser_argv() -> None:
    from tui.external import browser_argv

    url = "https://example.com/a b;rm -rf ~"
    assert browser_argv("firefox", url) == ["firefox", url]
    assert browser_argv("open -a 'Google Chrome' %s", url) == ["open", "-a", "Google Chrome", url]


# -- ctrl+e: the note in $EDITOR ------------------------------------------------------------


async def open_editor(pilot: Pilot, path: Path) -> NoteEditor:
    await open_article(pilot, path, ECB)
    await pilot.press("a")
    editor = pilot.app.screen
    assert isinstance(editor, NoteEditor)
    return editor


async def test_ctrl_e_edits_the_note_in_the_editor(
    lib_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "ed.py"
    script.write_text(
        "import sys\np = sys.argv[1]\nt = open(p).read()\n"
        "open(p, 'w').write(t.replace('draft', 'long [b]note[/b]') + '\\nmore\\n')\n"
    )
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, lib_path)
        await pilot.press(*"a draft")
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert app.screen is editor  # back in the dialog, not saved yet
        assert editor.body == "a long [b]note[/b]\nmore"
        with opened(lib_path) as lib:
            assert lib.notes(ECB) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        with opened(lib_path) as lib:
            [note] = lib.notes(ECB)
        assert note.body == "a long [b]note[/b]\nmore"


@pytest.mark.parametrize("failing", ["missing", "fails"])
async def test_an_editor_that_fails_keeps_the_text(
    lib_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    script, out = recorder(tmp_path, "ed", code=3)
    command = "/no/such/editor" if failing == "missing" else f"{sys.executable} {script}"
    monkeypatch.setenv("VISUAL", command)
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, lib_path)
        await pilot.press(*"keep me")
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert editor.body == "keep me"
        [line] = [m for m, s in notices(app) if "editor" in m]
        assert "the text is kept" in line and "\n" not in line
        assert ("could not start" if failing == "missing" else "ended with an error") in line
    assert (failing == "fails") == out.exists()


def test_the_editor_is_the_configs_then_visual_then_editor_then_vi(
    own_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.external import editor_command

    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    assert editor_command() == ["vi"]
    monkeypatch.setenv("EDITOR", "nano -w")
    assert editor_command() == ["nano", "-w"]
    monkeypatch.setenv("VISUAL", "emacs")
    assert editor_command() == ["emacs"]
    write_config(own_config, 'editor = "code --wait"\n')
    config._read.cache_clear()
    assert editor_command() == ["code", "--wait"]


def test_the_readme_documents_every_key_and_binding_id() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration") : readme.index("## The spaCy model")]
    for key in config.CHECKS:
        assert f"`{key}`" in section or f"`[{key}]`" in section, key
    missing = sorted({b.id for b in keymap.all_bindings(GlossApp)} - set(section.split("`")))
    assert missing == [], f"binding ids not listed in README's Configuration: {missing}"


async def test_help_shows_the_rebound_keys(lib_path: Path, own_config: Path) -> None:
    from tui.screens.help import HelpScreen

    write_config(own_config, '[keys]\n"library.star" = "x"\n')
    app = GlossApp(lib_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = [line.split() for line in screen_text(pilot).splitlines()]
        assert any("Star" in row and "x" in row for row in rows)
        assert not any("Star" in row and "s" in row for row in rows)
