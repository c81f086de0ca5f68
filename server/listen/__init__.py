"""The voice-friendly view: /listen (HTML), /api/v1/speech (text, SSML) and /audio (espeak-ng)."""
