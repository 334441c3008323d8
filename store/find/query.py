"""The search language, parsed by a small recursive-descent parser into a syntax tree.

    words "exact phrase" prefix*       full text, stemmed (free words are AND-ed)
    =word ="a phrase" =prefix*         the words themselves, not their stems
    a OR b, (a OR b) c, -word          boolean structure
    tag:politics -tag:draft tag:world tag:=world    entity:"Xi Jinping" label:PERSON
    is:unread|read|starred|unstarred|link  has:note|highlight|conflict   in:notes|articles

Every malformed query raises QueryError with a one-line message; nothing reaches SQL text.
Size is bounded here (length, nesting, prefix length) and in store.find.search (term counts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from store.core.errors import QueryError
from store.core.sanitize import clean

MAX_QUERY = 1000
# Levels of '(' and '-' together: real queries nest two or three; the bound keeps the parser,
# the compiled tree and SQLite's expression depth (and parser stack) far from their limits.
MAX_DEPTH = 10
# A prefix expands to every indexed word starting with it (FTS5 keeps no prefix index): on
# 10,000 articles "t*" costs ~3x the commonest word, a 2-letter prefix about as much as it.
MIN_PREFIX = 2
FIELDS = ("tag", "entity", "label", "is", "has", "in")
VALUES = {
    "is": ("unread", "read", "starred", "unstarred", "link"),
    "has": ("note", "highlight", "conflict"),
    "in": ("notes", "articles"),
}


@dataclass(frozen=True)
class Text:
    """Full-text term: a word, a phrase, or a prefix; `exact`: matched without stemming."""

    value: str
    prefix: bool = False
    exact: bool = False

    def fts(self) -> str:
        """This term as an FTS5 string: always quoted, so FTS operators in it are literal."""
        return '"' + self.value.replace('"', '""') + '"' + (" *" if self.prefix else "")


@dataclass(frozen=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Text | Field | Not | And | Or


@dataclass(frozen=True)
class Query:
    """A parsed query: the boolean tree (None when only `in:` was given) and `in:` scope."""

    root: Node | None
    scope: str | None  # "notes" | "articles" | None for both


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lpar>\() | (?P<rpar>\)) |
        (?P<neg>-)(?=[^\s)]) |
        (?P<field>[A-Za-z]+):(?:"(?P<fphrase>[^"]*)(?P<fclose>"?)|(?P<fword>[^\s()"]*)) |
        (?P<eq>=)?"(?P<phrase>[^"]*)(?P<close>"?) |
        (?P<word>[^\s()"]+)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].isspace():
            break
        m = _TOKEN.match(text, pos)
        if m is None:  # cannot happen with the grammar above, but never loop forever
            raise QueryError(f"cannot read the query at position {pos + 1}")
        at = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        if m.group("lpar"):
            out.append(("(", "(", at))
        elif m.group("rpar"):
            out.append((")", ")", at))
        elif m.group("neg"):
            out.append(("-", "-", at))
        elif m.group("field") is not None:
            name = m.group("field").lower()
            if m.group("fphrase") is not None:
                if not m.group("fclose"):
                    raise QueryError(f"unclosed quote after {name}: at position {at + 1}")
                value = m.group("fphrase")
            else:
                value = m.group("fword") or ""
            out.append(("field", f"{name}\x00{value}", at))
        elif m.group("phrase") is not None:
            if not m.group("close"):
                raise QueryError(f"unclosed quote at position {at + 1}")
            out.append(("=phrase" if m.group("eq") else "phrase", m.group("phrase"), at))
        else:
            word = m.group("word")
            out.append(("or" if word == "OR" else "word", word, at))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.scope: str | None = None

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Query:
        root = self.and_expr()
        if self.peek() == ")":
            raise QueryError(f"unmatched ')' at position {self.tokens[self.i][2] + 1}")
        if root is None and self.scope is None:
            raise QueryError("empty query")
        return Query(root, self.scope)

    def and_expr(self) -> Node | None:
        """Terms side by side are AND-ed; OR binds tighter: `a OR b c` is `(a OR b) c`."""
        nodes: list[Node] = []
        while self.peek() not in (None, ")"):
            if self.peek() == "or":
                raise QueryError(
                    f"OR at position {self.tokens[self.i][2] + 1} needs a term on each side"
                )
            node = self.or_term()
            if node is not None:
                nodes.append(node)
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def or_term(self) -> Node | None:
        parts = [self.unary()]
        while self.peek() == "or":
            _, _, at = self.take()
            if self.peek() in (None, ")", "or"):
                raise QueryError(f"OR at position {at + 1} needs a term on each side")
            parts.append(self.unary())
            if any(p is None for p in parts):
                raise QueryError(f"in: cannot be part of an OR (position {at + 1})")
        return parts[0] if len(parts) == 1 else Or(tuple(parts))  # type: ignore[arg-type]

    def unary(self) -> Node | None:
        kind, value, at = self.take()
        if kind in ("-", "("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(
                    f"query nested too deeply at position {at + 1} "
                    f"(the limit is {MAX_DEPTH} levels of '(' and '-')"
                )
            try:
                return self.nested(kind, at)
            finally:
                self.depth -= 1
        if kind == "field":
            name, _, arg = value.partition("\x00")
            return self.field(name, arg.strip(), at)
        if kind in ("phrase", "=phrase"):
            words = value.split()
            if not any(_searchable(w) for w in words):
                raise QueryError(f"nothing searchable in the phrase at position {at + 1}")
            return Text(" ".join(words), exact=kind == "=phrase")
        # a free word, maybe a prefix; `=word` is the word itself, not its stem
        exact = value.startswith("=")
        value = value[1:] if exact else value
        prefix = value.endswith("*")
        word = value.rstrip("*")
        if not _searchable(word):
            raise QueryError(f"nothing searchable in {value!r} at position {at + 1}")
        if prefix and len(_WORDS.findall(word)[-1]) < MIN_PREFIX:  # the last word is the prefix
            raise QueryError(
                f"prefix {value!r} at position {at + 1} is too short: "
                f"give at least {MIN_PREFIX} characters before '*'"
            )
        return Text(word, prefix, exact)

    def nested(self, kind: str, at: int) -> Node:
        """A negation or a parenthesised group; one level deeper."""
        if kind == "-":
            if self.peek() in (None, ")", "or"):
                raise QueryError(f"'-' at position {at + 1} needs a term after it")
            inner = self.unary()
            if inner is None:
                raise QueryError(f"'-' at position {at + 1} cannot negate in:")
            return Not(inner)
        inner = self.and_expr()
        if self.peek() != ")":
            raise QueryError(f"unclosed '(' at position {at + 1}")
        self.take()
        if inner is None:
            raise QueryError(f"empty parentheses at position {at + 1}")
        return inner

    def field(self, name: str, arg: str, at: int) -> Node | None:
        if name not in FIELDS:
            raise QueryError(
                f"unknown operator {name + ':'!r} at position {at + 1} "
                f"(known: {', '.join(f + ':' for f in FIELDS)})"
            )
        if not arg:
            raise QueryError(f"{name}: at position {at + 1} needs a value")
        if name in VALUES:
            arg = arg.lower()
            if arg not in VALUES[name]:
                known = ", ".join(f"{name}:{v}" for v in VALUES[name])
                raise QueryError(f"{name}:{arg} is not known (use {known})")
            if name == "in":
                self.scope = arg
                return None
        if name == "label":
            arg = arg.upper()
            if not re.fullmatch(r"[A-Z_]{2,20}", arg):
                raise QueryError(f"label:{arg} is not an entity label (like PERSON, ORG, GPE)")
        return Field(name, arg)


# FTS5's unicode61 tokenizer splits on everything but letters and digits, as this does.
_WORDS = re.compile(r"[^\W_]+")


def _searchable(word: str) -> bool:
    return any(ch.isalnum() for ch in word)


def parse(text: str) -> Query:
    """Parse a query string; QueryError with a one-line reason if it is not a query."""
    if len(text) > MAX_QUERY:
        raise QueryError(f"query too long ({len(text):,} characters; the limit is {MAX_QUERY:,})")
    text = " ".join(clean(text).split())
    return _Parser(_tokens(text)).parse()
