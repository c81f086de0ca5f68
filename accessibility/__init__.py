"""Voice-friendly view: speech wording, SSML, audio and the /listen page (see issue 4)."""
