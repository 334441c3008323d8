"""What the reader writes: notes and highlights, anchoring, article versions, annotation
files and export."""
