"""Worker accounts, tokens and saved filters."""
