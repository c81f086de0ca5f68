"""The voice-friendly view: /listen (HTML), /api/v1/speech (text, SSML) and /audio (espeak-ng)."""
from __future__ import annotations

from server.feature import Feature
from server.listen.assets import TEMPLATE_DIR
from server.listen.routes import LISTEN_ROUTES
from server.listen.speech_routes import SpeechController

FEATURE = Feature("listen", [SpeechController, *LISTEN_ROUTES], template_dirs=(TEMPLATE_DIR,))
