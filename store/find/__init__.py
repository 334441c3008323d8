"""Finding articles: reading queries (list, count, open), the query language and search."""
