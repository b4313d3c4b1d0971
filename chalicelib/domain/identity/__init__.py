"""Identity, pure rules. The roles of station staff."""
