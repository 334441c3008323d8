"""`gloss config`: where the config file is, editing it (from a commented template with every
key and its default when it is missing), and checking it."""

from __future__ import annotations

import click

from tui.cli_base import fail


@click.group("config")
def config_group() -> None:
    """The config file (config.toml): key bindings, theme, reading width, browser, editor…"""


@config_group.command("path")
def config_path_cmd() -> None:
    """Print where the config file is (it may not exist yet)."""
    from store.core.paths import config_path

    click.echo(str(config_path()))


@config_group.command("edit")
def config_edit() -> None:
    """Open the config file in the editor ($VISUAL, then $EDITOR, then vi), creating it from
    a commented template with every key and its default if it is missing."""
    from tui import config
    from tui.external import ProgramFailed, run_editor

    path = config.settings().path
    try:
        if config.write_template(path):
            click.echo(f"gloss: created {path} from the template", err=True)
        run_editor(path)
    except (OSError, ProgramFailed) as exc:
        fail(str(exc))
    config._read.cache_clear()
    if problems := check():
        fail(f"config {path}: {'; '.join(problems)}")


@config_group.command("check")
def config_check() -> None:
    """Say what is wrong with the config file, in one line (exit 1), or that nothing is."""
    from tui import config

    path = config.settings().path
    if problems := check():
        fail(f"config {path}: {'; '.join(problems)}")
    click.echo(f"{path}: no problems" if path.exists() else f"{path}: absent (all defaults)")


def check() -> list[str]:
    """The config file's problems, the key bindings' included."""
    from textual.theme import BUILTIN_THEMES

    from tui import config, keymap
    from tui.app import GlossApp

    return keymap.config_problems(config.settings(), BUILTIN_THEMES, GlossApp)


def register(cli: click.Group) -> None:
    cli.add_command(config_group)
