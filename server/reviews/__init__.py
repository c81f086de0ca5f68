"""Reviews of requesters and task types: create, edit with history, delete, list."""
