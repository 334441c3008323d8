"""The library file's foundation: connection, schema and migrations, models, derived state,
the clock, paths, sanitising, bounded reads and errors. Imports nothing else of gloss."""
