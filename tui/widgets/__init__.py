"""Widgets of the gloss app, one concern each."""
