"""Bringing articles in: parsers, the importer, entities (spaCy), fetching, feeds, refresh
and OPML."""
