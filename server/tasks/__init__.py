"""Task lists: task identity, recording what the platforms show, and annotate."""
