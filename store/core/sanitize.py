"""Turn untrusted bytes and strings into plain, terminal-safe text, once, at the edge."""

from __future__ import annotations

import html
import re
import unicodedata

from store.core.errors import ImportFailed, InvalidInput

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TEXT_CHARS = 1_000_000  # spaCy's default nlp.max_length

# C0 controls except \t and \n, DEL, C1 controls, and the bidi embedding/override/isolate
# characters that can make text display in an order other than the one stored.
# Lone surrogates too (YAML and JSON escapes can make them): no UTF-8 text holds them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# An escape sequence is removed whole, not just its ESC byte, so no "[2J" residue is left;
# an unterminated one stops at the end of its line, so it cannot swallow the article.
_ESCAPE_SEQ = re.compile(
    r"\x1b\][^\x07\x1b\n]{0,512}(?:\x07|\x1b\\)?"  # OSC ... BEL/ST (clipboard, links, titles)
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c\n]{0,512}(?:\x07|\x9c)?"  # 8-bit OSC
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
)


def decode(data: bytes, name: str = "file") -> str:
    """Decode bytes as UTF-8, refusing binary, empty and over-size input with a clear reason."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailed(
            f"too large ({len(data):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes)"
        )
    if not data.strip():
        raise ImportFailed("empty file")
    if b"\x00" in data[:8192]:
        raise ImportFailed("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return text


def clean(text: str) -> str:
    """NFC-normalise, unify newlines and strip control and bidi-override characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQ.sub("", text)
    text = _UNSAFE.sub("", text)
    return unicodedata.normalize("NFC", text)


# Character references are read whole (decimal or hex, any leading zeros, `;` optional, as
# HTML does) and rewritten as `&#N;` of the character HTML means by them (&#146; is ’, a
# surrogate is U+FFFD). A reference to a character `clean` removes (&#27; is ESC) goes: lxml
# drops the whole tree on it, and it would smuggle escapes into the text past a parser.
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")


def _char_ref(m: re.Match[str]) -> str:
    hex_digits, dec_digits = m.groups()
    digits = (hex_digits or dec_digits).lstrip("0") or "0"
    # More digits than any code point needs is out of range (and int() refuses 4,300+).
    code = int(digits, 16 if hex_digits else 10) if len(digits) <= 8 else 0x110000
    char = html.unescape(f"&#{code};") if code else ""  # the HTML standard's reading
    return "".join(f"&#{ord(c)};" for c in clean(char))


def clean_markup(text: str) -> str:
    """`clean` for HTML or XML source: character references to characters `clean` removes go
    too, before a parser can turn them back into those characters; the others stay."""
    return clean(_CHAR_REF.sub(_char_ref, text))


def has_unsafe(text: str) -> bool:
    """True when text holds a character `clean` would remove (or a bare CR)."""
    return "\r" in text or _UNSAFE.search(text) is not None


def clean_line(text: str) -> str:
    """Like clean, for one-line fields (titles, bylines, tags): whitespace runs become a space."""
    return " ".join(clean(text).split())


def check_length(text: str) -> str:
    """Refuse article text longer than the analyser accepts."""
    if len(text) > MAX_TEXT_CHARS:
        raise ImportFailed(
            f"article text too long ({len(text):,} characters; the limit is {MAX_TEXT_CHARS:,})"
        )
    return text


_TAG_OK = re.compile(r"^[\w.+-]+(?:/[\w.+-]+)*$")


def normalise_tag(name: str) -> str:
    """Lower-case a tag, turn spaces into '-', collapse '/' runs; nested tags use '/'."""
    tag = re.sub(r"\s*/\s*", "/", clean_line(name).lower()).replace(" ", "-")
    tag = re.sub(r"/+", "/", tag).strip("/")
    tag = re.sub(r"-+", "-", tag)
    if not tag or len(tag) > 100 or not _TAG_OK.match(tag):
        raise InvalidInput(
            f"invalid tag {name!r}: use letters, digits, '-', '_', '.', with '/' for nesting"
        )
    return tag
