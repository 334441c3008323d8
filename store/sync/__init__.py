"""Sync: merging peer libraries' facts and the folder or file sync around it."""
