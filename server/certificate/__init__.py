"""The portable work certificate: a signed credential (JSON) and a tagged PDF."""
from __future__ import annotations

from server.certificate.routes import CERTIFICATE_ROUTES, CERTIFICATE_TEMPLATE_DIR, CertificateController
from server.feature import Feature, controller_paths

# What a verifier of certificates reads (the signing key, the schema, the JSON-LD context) answers any origin;
# verifying a certificate changes nothing.
FEATURE = Feature("certificate", CERTIFICATE_ROUTES, template_dirs=(CERTIFICATE_TEMPLATE_DIR,),
                  open_paths=controller_paths(CertificateController, "keys", "schema_v1", "context_v1"),
                  read_posts=controller_paths(CertificateController, "verify"))
