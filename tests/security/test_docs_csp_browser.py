"""The OpenAPI viewers under their own CSP in real Chromium: runs tests/security/browser/docs_csp.test.js."""
from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT, LiveServer
from tests.listen.test_listen_browser import NODE_MODULES, require_tools

TEST_FILE = ROOT / "tests" / "security" / "browser" / "docs_csp.test.js"


def test_docs_pages_run_under_their_policy_in_a_real_browser(live_server: LiveServer) -> None:
    require_tools()
    env = {**os.environ, "DOCS_ORIGIN": live_server.url, "NODE_PATH": str(NODE_MODULES)}
    result = subprocess.run(["node", "--test", "--test-concurrency=1", str(TEST_FILE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    assert "# pass 2" in result.stdout, result.stdout
