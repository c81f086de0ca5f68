"""The API documentation in real Chromium with no network: runs tests/apidocs/browser/apidocs.test.js against a live
server (Node, playwright-core and axe-core from extension/node_modules). In CI a missing tool fails the test."""
from __future__ import annotations

import os
import re
import subprocess

from tests.conftest import ROOT, LiveServer
from tests.listen.test_listen_browser import NODE_MODULES, require_tools

TEST_FILE = ROOT / "tests" / "apidocs" / "browser" / "apidocs.test.js"


def test_api_docs_render_offline_in_a_real_browser(live_server: LiveServer) -> None:
    require_tools()
    env = {**os.environ, "DOCS_ORIGIN": live_server.url, "NODE_PATH": str(NODE_MODULES)}
    result = subprocess.run(["node", "--test", "--test-concurrency=1", str(TEST_FILE)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed.group(1)) == 5, result.stdout
