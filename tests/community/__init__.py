"""Community sharing: the open ratings dump, imports from other communities."""
