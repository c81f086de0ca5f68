"""Worker accounts, tokens and saved filters."""
from __future__ import annotations

from server.feature import Feature, controller_paths
from server.workers.routes import MeController, RegistrationController

# Registering is limited per client address (docs/security.md).
FEATURE = Feature("workers", [RegistrationController, MeController],
                  register_paths=controller_paths(RegistrationController, "register"))
