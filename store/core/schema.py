"""The schema-7 DDL ("0007_exact_words"): what a new library is created with and what the
schema-4 migration builds. Facts are synced; state is derived and local. Every table refers
to an article by its local INTEGER key; articles.id (32 hex) stays the public id that sync,
export and the CLI use."""

from __future__ import annotations

import sqlite3

DDL = """
-- gloss library schema 7 ("0007_exact_words"). Facts are synced; state is derived and local.
-- Every table refers to an article by its local INTEGER key; articles.id (32 hex) stays
-- the public id that sync, export and the CLI use.

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT);

-- Facts ---------------------------------------------------------------------------------
CREATE TABLE articles (
    key INTEGER PRIMARY KEY,            -- local; = articles_fts rowid
    id TEXT NOT NULL UNIQUE,            -- public content-hash id; prefix: id >= ? AND id < ?
    title TEXT NOT NULL, byline TEXT, source TEXT, published TEXT,
    imported_at TEXT NOT NULL,
    structure TEXT NOT NULL,
    text TEXT NOT NULL                  -- last: reading the list never touches it
);
CREATE INDEX articles_imported_at ON articles (imported_at);
CREATE INDEX articles_source ON articles (source);
-- saved links (store.ingest.links): `is:link` and the Saved links view read this
CREATE INDEX articles_links ON articles (key) WHERE text = source;
-- an entity's page (store.find.entity_page) dates each of its articles: 10,000 rowid
-- lookups read this narrow index (about 40 bytes an article), not the wide article rows
CREATE INDEX articles_dates ON articles (key, published, imported_at);

CREATE TABLE models (key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);  -- local dictionary

-- One row per (article, model): the analysis with its entities and sentences packed
-- (codec.py: delta+varint offsets, a label code per entity; entity text = text[start:end]).
CREATE TABLE analyses (
    article INTEGER NOT NULL, model INTEGER NOT NULL, analysed_at TEXT NOT NULL,
    entities BLOB NOT NULL, sentences BLOB NOT NULL,
    PRIMARY KEY (article, model)
) WITHOUT ROWID;

CREATE TABLE note_revisions (
    rev_id TEXT NOT NULL UNIQUE, note_id TEXT NOT NULL, parents TEXT NOT NULL,
    article INTEGER NOT NULL,
    pos_start INTEGER, pos_end INTEGER, exact TEXT, prefix TEXT, suffix TEXT,
    body TEXT NOT NULL, deleted INTEGER NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL
);
CREATE INDEX note_revisions_note ON note_revisions (note_id);
CREATE INDEX note_revisions_article ON note_revisions (article);

CREATE TABLE events (
    event_id TEXT PRIMARY KEY, article INTEGER NOT NULL, field TEXT NOT NULL,
    value INTEGER NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL
);
CREATE INDEX events_article ON events (article, field, hlc);

CREATE TABLE article_versions (
    old INTEGER NOT NULL, new INTEGER NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL,
    PRIMARY KEY (old, new)
) WITHOUT ROWID;
CREATE INDEX article_versions_new ON article_versions (new);

CREATE TABLE feeds (
    feed_id TEXT PRIMARY KEY, url TEXT NOT NULL, title TEXT NOT NULL,
    hlc TEXT NOT NULL, device TEXT NOT NULL
);
CREATE TABLE feed_events (
    event_id TEXT PRIMARY KEY, feed_id TEXT NOT NULL, field TEXT NOT NULL,
    value TEXT NOT NULL, hlc TEXT NOT NULL, device TEXT NOT NULL
);
CREATE INDEX feed_events_feed ON feed_events (feed_id, field, hlc);
CREATE TABLE feed_entries (
    feed_id TEXT NOT NULL, guid TEXT NOT NULL, article INTEGER NOT NULL, link TEXT,
    published TEXT, hlc TEXT NOT NULL, device TEXT NOT NULL,
    PRIMARY KEY (feed_id, guid, article)
) WITHOUT ROWID;
CREATE INDEX feed_entries_article ON feed_entries (article);
CREATE TABLE feed_state (
    feed_id TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_fetch TEXT,
    last_status TEXT, last_error TEXT
);

-- A correction of an article's entities, by its reader (store.notes.corrections): it
-- attaches to a span of the text, not to a model's output, so it holds when the article is
-- analysed again, by this model or another. The latest (by hlc) of an article's span decides.
CREATE TABLE entity_corrections (
    correction_id TEXT PRIMARY KEY, article INTEGER NOT NULL,
    pos_start INTEGER NOT NULL, pos_end INTEGER NOT NULL, exact TEXT NOT NULL,
    kind TEXT NOT NULL,     -- label | remove | alias | split | name | reset
    value TEXT,             -- the label (label); the group's canonical name (alias, name)
    hlc TEXT NOT NULL, device TEXT NOT NULL
);
CREATE INDEX entity_corrections_article ON entity_corrections (article, pos_start);

-- Derived state ---------------------------------------------------------------------------
CREATE TABLE article_state (
    article INTEGER PRIMARY KEY,
    read INTEGER NOT NULL DEFAULT 0, starred INTEGER NOT NULL DEFAULT 0,
    notes INTEGER NOT NULL DEFAULT 0, highlights INTEGER NOT NULL DEFAULT 0,
    superseded_by INTEGER,              -- key of the newest version, when replaced
    labels INTEGER NOT NULL DEFAULT 0   -- bit (1 << code) per entity label of its analysis
);
CREATE INDEX article_state_read ON article_state (read);
CREATE INDEX article_state_superseded ON article_state (article) WHERE superseded_by IS NOT NULL;

CREATE TABLE article_tags (
    article INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (article, tag)
) WITHOUT ROWID;
CREATE INDEX article_tags_tag ON article_tags (tag);   -- (tag, article)

-- The library's counts (the header and sidebar), kept by the triggers below on every write
-- path (edits, rebuilds, merges), so start-up reads six rows, not a million: `counts` over
-- current articles (not superseded), `tag_counts` the current articles per tag.
CREATE TABLE counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE tag_counts (tag TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER article_state_counts_ai AFTER INSERT ON article_state
WHEN new.superseded_by IS NULL
BEGIN
    UPDATE counts SET n = n + CASE name WHEN 'articles' THEN 1 WHEN 'unread' THEN new.read = 0
        WHEN 'starred' THEN new.starred != 0 WHEN 'notes' THEN new.notes
        WHEN 'highlights' THEN new.highlights ELSE new.notes > 0 OR new.highlights > 0 END;
END;
CREATE TRIGGER article_state_counts_au AFTER UPDATE OF read, starred, notes, highlights,
    superseded_by ON article_state
WHEN old.read IS NOT new.read OR old.starred IS NOT new.starred OR old.notes IS NOT new.notes
    OR old.highlights IS NOT new.highlights
    OR (old.superseded_by IS NULL) != (new.superseded_by IS NULL)
BEGIN
    UPDATE counts SET n = n
        - (old.superseded_by IS NULL) * CASE name WHEN 'articles' THEN 1
            WHEN 'unread' THEN old.read = 0 WHEN 'starred' THEN old.starred != 0
            WHEN 'notes' THEN old.notes WHEN 'highlights' THEN old.highlights
            ELSE old.notes > 0 OR old.highlights > 0 END
        + (new.superseded_by IS NULL) * CASE name WHEN 'articles' THEN 1
            WHEN 'unread' THEN new.read = 0 WHEN 'starred' THEN new.starred != 0
            WHEN 'notes' THEN new.notes WHEN 'highlights' THEN new.highlights
            ELSE new.notes > 0 OR new.highlights > 0 END;
    UPDATE tag_counts SET n = n + CASE WHEN new.superseded_by IS NULL THEN 1 ELSE -1 END
    WHERE (old.superseded_by IS NULL) != (new.superseded_by IS NULL)
        AND tag IN (SELECT tag FROM article_tags WHERE article = new.article);
END;
CREATE TRIGGER article_state_counts_ad AFTER DELETE ON article_state BEGIN
    UPDATE counts SET n = n - (old.superseded_by IS NULL) * CASE name WHEN 'articles' THEN 1
        WHEN 'unread' THEN old.read = 0 WHEN 'starred' THEN old.starred != 0
        WHEN 'notes' THEN old.notes WHEN 'highlights' THEN old.highlights
        ELSE old.notes > 0 OR old.highlights > 0 END;
    UPDATE tag_counts SET n = n + 1 WHERE old.superseded_by IS NOT NULL
        AND tag IN (SELECT tag FROM article_tags WHERE article = old.article);
END;
-- (an article's tags count while it has no state row: it is not superseded)
CREATE TRIGGER article_state_tags_ai AFTER INSERT ON article_state
WHEN new.superseded_by IS NOT NULL
BEGIN
    UPDATE tag_counts SET n = n - 1
    WHERE tag IN (SELECT tag FROM article_tags WHERE article = new.article);
END;
CREATE TRIGGER article_tags_counts_ai AFTER INSERT ON article_tags
WHEN NOT EXISTS (SELECT 1 FROM article_state
                 WHERE article = new.article AND superseded_by IS NOT NULL)
BEGIN
    INSERT INTO tag_counts (tag, n) VALUES (new.tag, 1) ON CONFLICT (tag) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER article_tags_counts_ad AFTER DELETE ON article_tags
WHEN NOT EXISTS (SELECT 1 FROM article_state
                 WHERE article = old.article AND superseded_by IS NOT NULL)
BEGIN
    UPDATE tag_counts SET n = n - 1 WHERE tag = old.tag;
END;

-- A current note: its head revision (by rowid) and what the revisions alone cannot say.
-- Body, quote and anchor are read from note_revisions (no copy).
CREATE TABLE notes (
    rev INTEGER PRIMARY KEY,            -- note_revisions.rowid of the head; = notes_fts rowid
    note_id TEXT NOT NULL UNIQUE,
    article INTEGER NOT NULL,
    created TEXT NOT NULL,              -- hlc of its first revision (updated = head's hlc)
    conflict INTEGER NOT NULL DEFAULT 0,
    heads TEXT                          -- JSON rev_ids of the live heads, only on conflict
);
CREATE INDEX notes_article ON notes (article);

-- The entity index (store.core.entity_index): one entity per (normalised canonical name,
-- label) across the library, postings by integer keys; an article's own entities come
-- from decoding its analysis blob and its entity_groups row, so there is no
-- (article -> entity) b-tree. name_key = entity_groups.normal_key(text): case-folded,
-- without "the" or a possessive; text is a canonical name as articles spell it.
CREATE TABLE entity_names (
    key INTEGER PRIMARY KEY,
    name_key TEXT NOT NULL,
    text TEXT NOT NULL COLLATE NOCASE, label TEXT NOT NULL,
    articles INTEGER NOT NULL DEFAULT 0, mentions INTEGER NOT NULL DEFAULT 0,  -- totals
    UNIQUE (name_key, label)
);
CREATE INDEX entity_names_text ON entity_names (text, label);
CREATE INDEX entity_names_label ON entity_names (label);
CREATE TABLE entity_articles (
    entity INTEGER NOT NULL, article INTEGER NOT NULL, mentions INTEGER NOT NULL,
    PRIMARY KEY (entity, article)
) WITHOUT ROWID;
-- The other names an entity goes by in articles ("xi" for Xi Jinping), normalised as
-- name_key, with the number of articles that group it so: `entity:Xi` finds the group.
CREATE TABLE entity_aliases (
    name_key TEXT NOT NULL, entity INTEGER NOT NULL, articles INTEGER NOT NULL,
    PRIMARY KEY (name_key, entity)
) WITHOUT ROWID;

-- An article's entity groups (store.core.entity_groups over its analysis and corrections)
-- and the entity_names keys it posted (so forgetting them reads this row, not the analysis).
CREATE TABLE entity_groups (
    article INTEGER PRIMARY KEY, groups BLOB NOT NULL, posted BLOB NOT NULL
);

-- Full-text search: external content only; no text is stored twice.
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, text, content='articles', content_rowid='key',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.key, new.title, new.text);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
        VALUES ('delete', old.key, old.title, old.text);
END;
CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
        VALUES ('delete', old.key, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.key, new.title, new.text);
END;

-- The same title and text without stemming (migration 0007): `=word` finds the word itself,
-- and a plain word's matches with its exact form rank above those sharing only its stem
-- (inflation, inflatable). Triggers of its own, so the migration adds them beside the others.
CREATE VIRTUAL TABLE articles_words_fts USING fts5 (
    title, text, content='articles', content_rowid='key',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_words_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_words_fts (rowid, title, text) VALUES (new.key, new.title, new.text);
END;
CREATE TRIGGER articles_words_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_words_fts (articles_words_fts, rowid, title, text)
        VALUES ('delete', old.key, old.title, old.text);
END;
CREATE TRIGGER articles_words_au AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_words_fts (articles_words_fts, rowid, title, text)
        VALUES ('delete', old.key, old.title, old.text);
    INSERT INTO articles_words_fts (rowid, title, text) VALUES (new.key, new.title, new.text);
END;

CREATE VIEW note_text (rev, body, exact) AS
    SELECT n.rev, r.body, r.exact FROM notes n JOIN note_revisions r ON r.rowid = n.rev;
CREATE VIRTUAL TABLE notes_fts USING fts5 (
    body, exact, content='note_text', content_rowid='rev',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, body, exact)
        SELECT rowid, body, exact FROM note_revisions WHERE rowid = new.rev;
END;
CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, body, exact)
        SELECT 'delete', rowid, body, exact FROM note_revisions WHERE rowid = old.rev;
END;

-- Notes without stemming, as articles_words_fts (migration 0007).
CREATE VIRTUAL TABLE notes_words_fts USING fts5 (
    body, exact, content='note_text', content_rowid='rev',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER notes_words_ai AFTER INSERT ON notes BEGIN
    INSERT INTO notes_words_fts (rowid, body, exact)
        SELECT rowid, body, exact FROM note_revisions WHERE rowid = new.rev;
END;
CREATE TRIGGER notes_words_ad AFTER DELETE ON notes BEGIN
    INSERT INTO notes_words_fts (notes_words_fts, rowid, body, exact)
        SELECT 'delete', rowid, body, exact FROM note_revisions WHERE rowid = old.rev;
END;

CREATE VIEW article_tagtext (article, tags) AS
    SELECT article, group_concat(tag, ' ') FROM article_tags GROUP BY article;
CREATE VIRTUAL TABLE article_tagtext_fts USING fts5 (
    tags, content='article_tagtext', content_rowid='article',
    tokenize='porter unicode61 remove_diacritics 2'
);
-- Each tag row change replaces its article's FTS row: 'delete' with the view's value
-- before the change (BEFORE), insert the value after it (AFTER). The guard keeps an
-- INSERT OR IGNORE of a tag already there from deleting the row without re-adding it.
CREATE TRIGGER article_tags_bi BEFORE INSERT ON article_tags
WHEN NOT EXISTS (SELECT 1 FROM article_tags WHERE article = new.article AND tag = new.tag)
BEGIN
    INSERT INTO article_tagtext_fts (article_tagtext_fts, rowid, tags)
        SELECT 'delete', article, tags FROM article_tagtext WHERE article = new.article;
END;
CREATE TRIGGER article_tags_ai AFTER INSERT ON article_tags BEGIN
    INSERT INTO article_tagtext_fts (rowid, tags)
        SELECT article, tags FROM article_tagtext WHERE article = new.article;
END;
CREATE TRIGGER article_tags_bd BEFORE DELETE ON article_tags BEGIN
    INSERT INTO article_tagtext_fts (article_tagtext_fts, rowid, tags)
        SELECT 'delete', article, tags FROM article_tagtext WHERE article = old.article;
END;
CREATE TRIGGER article_tags_ad AFTER DELETE ON article_tags BEGIN
    INSERT INTO article_tagtext_fts (rowid, tags)
        SELECT article, tags FROM article_tagtext WHERE article = old.article;
END;
"""

PAGE_SIZE = 16384
"""Set before the first table: 16 KiB pages measured smallest and fastest (lab report)."""


def statements() -> list[str]:
    """The DDL as single statements, in order."""
    out, buf = [], ""
    for line in DDL.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out
