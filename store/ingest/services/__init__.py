"""Other services' exports (Omnivore, Pocket, Wallabag, Readwise, Hypothesis, Kindle,
Instapaper): a reader module per service turns its export into `record.Saved` entries;
`apply` writes them into the library."""
