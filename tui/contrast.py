"""Readable colours in every theme: CSS variables (`$gloss-*`) for the text on the cursor,
the selection, highlights and notes, adjusted until they meet WCAG AA (4.5:1) on the
background they are drawn on.

Textual's own pairs ($block-cursor-foreground on $block-cursor-background, $text-success on
$surface, ...) fall to 1.5:1 in some themes (dark text on a dark accent in solarized-light), so
each pair is measured here and the text colour is moved towards black or white until it reads.
ANSI themes are left to the terminal, whose palette decides their colours.
"""

from __future__ import annotations

from textual.color import Color, ColorParseError

AA = 4.5
MUTED = "$gloss-muted-text"
"""The style of secondary text (dates, counts, hints) in Content: dimmer than the body text,
as Rich's dim, but still AA (dim halves the contrast)."""
TARGET = 4.6  # a margin over AA: the terminal rounds nothing, but hex rounds the blend

# (our variable, the background it is drawn on, the text colour wanted there)
PAIRS: tuple[tuple[str, str, str], ...] = (
    ("body", "surface", "foreground"),
    ("cursor", "block-cursor-background", "block-cursor-foreground"),
    ("cursor-blurred", "block-cursor-blurred-background", "block-cursor-blurred-foreground"),
    ("passage", "primary-muted", "foreground"),
    ("highlight", "warning-muted", "foreground"),
    ("note", "success-muted", "foreground"),
    # the bars and side panels (header, legend, sidebar, help) and the key bar
    ("panel", "panel", "foreground"),
    ("key", "footer-background", "footer-key-foreground"),
    ("key-description", "footer-background", "footer-description-foreground"),
    ("toast", "panel-lighten-1", "foreground"),  # notifications
)
# An ANSI theme's colours are the terminal's palette, unknown here: black on the bright
# colours reads in common palettes (the theme's own muted ones are the dark ANSI colours)
ANSI_PAIRS: dict[str, tuple[str, str]] = {
    "passage": ("ansi_bright_cyan", "ansi_black"),
    "highlight": ("ansi_bright_yellow", "ansi_black"),
    "note": ("ansi_bright_green", "ansi_black"),
}
# The backgrounds plain text is drawn on: lists and the article ($surface), the bars and side
# panels ($panel), the screens ($background); each also as a row the mouse is over
PLAIN = ("surface", "panel", "background")
# (our variable, the text colour wanted on each of PLAIN)
ON_SURFACE: tuple[tuple[str, str], ...] = (
    ("accent-text", "text-accent"),
    ("primary-text", "text-primary"),
    ("success-text", "text-success"),
    ("warning-text", "text-warning"),
    ("error-text", "text-error"),
)
GUIDES = 3.0
"""Tree guides are lines, not text: WCAG's bound for graphics (1.4.11, non-text contrast)."""
# (our variable, the colour wanted on each of PLAIN for a graphic: a progress bar)
GRAPHICS: tuple[tuple[str, str], ...] = (("bar", "primary"),)


def luminance(c: Color) -> float:
    """WCAG relative luminance of an opaque colour."""

    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)


def ratio(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two opaque colours (1 to 21)."""
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def readable(text: Color, *backgrounds: Color, target: float = TARGET) -> Color:
    """`text`, or the least change of it towards black or white that reads on each of
    `backgrounds` (shades of one colour: a panel and the same panel focused)."""

    def worst(c: Color) -> float:
        return min(ratio(c, b) for b in backgrounds)

    if worst(text) >= target:
        return text
    black, white = Color(0, 0, 0), Color(255, 255, 255)
    pole = white if worst(white) > worst(black) else black
    for step in range(1, 21):
        moved = Color.parse(text.blend(pole, step / 20).hex)
        if worst(moved) >= target:
            return moved
    return pole


def dimmed(text: Color, toward: Color, *backgrounds: Color, target: float = TARGET) -> Color:
    """Secondary text: `text` mixed as far towards `toward` (the background) as it can be,
    at most halfway (Rich's `dim`), while it still reads at `target` on each background."""
    best = readable(text, *backgrounds, target=target)
    for step in range(1, 11):
        mixed = Color.parse(text.blend(toward, step / 20).hex)
        if min(ratio(mixed, b) for b in backgrounds) < target:
            break
        best = mixed
    return best


def _solid(value: str, under: Color) -> Color | None:
    """The variable's colour as drawn over `under` (alpha composited; `auto N%` is Textual's
    contrasting text), None if it is an ANSI colour, which the terminal decides."""
    if value.startswith("auto"):
        percent = value.removeprefix("auto").strip().rstrip("%")
        return under + under.get_contrast_text(float(percent) / 100 if percent else 1.0)
    try:
        colour = Color.parse(value)
    except ColorParseError:
        return None
    if colour.ansi is not None:
        return None
    return under + colour if colour.a < 1 else colour


def readable_variables(variables: dict[str, str]) -> dict[str, str]:
    """The `gloss-*` variables for a theme's variables: for each pair a background (solid)
    and a text colour that reads on it; the theme's own colours where it uses ANSI ones."""
    out: dict[str, str] = {}
    surface = _solid(variables.get("surface", ""), Color(0, 0, 0))
    for name, bg_name, fg_name in PAIRS:
        bg_value, fg_value = variables.get(bg_name, ""), variables.get(fg_name, "")
        bg = _solid(bg_value, surface) if surface else None
        fg = _solid(fg_value, bg) if bg else None
        if bg is None or fg is None:
            bg_value, fg_value = ANSI_PAIRS.get(name, (bg_value, fg_value))
            out[f"gloss-{name}-background"] = bg_value
            out[f"gloss-{name}-text"] = fg_value
            continue
        out[f"gloss-{name}-background"] = bg.hex
        out[f"gloss-{name}-text"] = readable(fg, *_shades(variables, bg)).hex
    plain = _plain_backgrounds(variables, surface)
    for name, fg_name in ON_SURFACE:
        fg_value = variables.get(fg_name, "")
        fg = _solid(fg_value, surface) if surface else None
        # (an ANSI theme: the terminal's own text colour, the one sure to read on its
        # background; the marks' shapes tell them apart)
        out[f"gloss-{name}"] = readable(fg, *plain).hex if fg and plain else "ansi_default"
    for name, fg_name in GRAPHICS:
        fg = _solid(variables.get(fg_name, ""), surface) if surface else None
        out[f"gloss-{name}"] = (
            readable(fg, *plain, target=GUIDES).hex if fg and plain else variables.get(fg_name, "")
        )
    # secondary text (dates, counts, hints) and tree guides: the body colour, dimmed as far
    # as it can be while it reads (Rich's dim halves the contrast: 2.5-4.4:1 in 15 themes)
    fg = _solid(variables.get("foreground", ""), surface) if surface else None
    for name, target in (("muted-text", TARGET), ("guide", GUIDES)):
        value = dimmed(fg, surface, *plain, target=target).hex if fg and plain and surface else None
        out[f"gloss-{name}"] = value or "ansi_default"
    # the key bar's separators: lines on its own background
    keys = _solid(out["gloss-key-background"], surface) if surface else None
    text = _solid(out["gloss-key-description-text"], keys) if keys else None
    out["gloss-key-separator"] = (
        dimmed(text, keys, *_shades(variables, keys), target=GUIDES).hex
        if keys and text
        else "ansi_default"
    )
    return out


def _shades(variables: dict[str, str], bg: Color) -> tuple[Color, ...]:
    """`bg`, as tinted in a focused widget ($foreground 5%, Textual's lists and trees) and
    under the mouse ($block-hover-background): text on it must read on each."""
    shades = [bg]
    if tint := _solid(variables.get("foreground", ""), bg):
        shades.append(bg + tint.with_alpha(0.05))
    if hover := _solid(variables.get("block-hover-background", ""), bg):
        shades.append(hover)
    return tuple(shades)


def _plain_backgrounds(variables: dict[str, str], surface: Color | None) -> tuple[Color, ...]:
    """The solid colours of PLAIN, each also tinted (_shades); () for ANSI themes."""
    if surface is None:
        return ()
    found: list[Color] = []
    for name in PLAIN:
        bg = _solid(variables.get(name, ""), Color(0, 0, 0) if name == "background" else surface)
        if bg is None:
            return ()
        found += _shades(variables, bg)
    return tuple(found)
