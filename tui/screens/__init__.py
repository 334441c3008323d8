"""Screens of the gloss app: the library, the reader, help and small dialogs."""
