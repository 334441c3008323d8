"""gloss's terminal layer: the Textual app, its screens and widgets, and the CLI."""
