"""The extension and the server agree on the report: whatever page the extension's own builder
(extension/src/lib/page-report.js, run in Node) is given — real platforms' class names, ids, e-mails, addresses,
text, odd tags, random junk — the server takes the report it builds, and stores it unchanged. In CI a missing
Node fails the test; elsewhere it is skipped."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.conftest import ROOT
from tests.helpers import Db
from tests.page_reports.conftest import PATH, as_sent, stored

BUILDER = ROOT / "extension" / "src" / "lib" / "page-report.js"

# Seeded, so every run builds the same reports.
SCRIPT = r"""
const pageReport = require(process.argv[1]);
let seed = 20261231;
const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const pick = (list) => list[Math.floor(random() * list.length)];
const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_#@.:/?=& éß中\t';
const junk = () => Array.from({ length: Math.floor(random() * 70) }, () => pick([...CHARS])).join('');
const NAMES = ['hit-set-table-row', 'col-xs-12', 'css-1x2y3z4', 'sc-bdVaJa', 'project-name-column', 'task-column',
  'study-676eda540ac41cc075b4e578', 'A2P2MT8IK72CVZ', 'requester-A2P2MT8IK72CVZ', 'order-1234567', 'worker@example.org',
  'https://worker.mturk.com/projects?ref=w_pl_prvw', 'Take this survey', 'x'.repeat(60), 'café', '#', '--', '_', '-1',
  '3X9KGUZDX8JVQN1JDLGZ7XUX1HRKWQ', 'reward-12345', 'a.b', '', null, undefined, 42];
const TAGS = ['div', 'LI', 'span', 'svg:path', 'my-element', 'A', 'x'.repeat(40), '', 'h3'];
const reports = [];
for (let n = 0; n < 40; n += 1) {
  const entries = Array.from({ length: 1 + Math.floor(random() * 400) }, () => ({
    tag: pick(TAGS),
    classes: Array.from({ length: Math.floor(random() * 12) }, () => (random() < 0.5 ? pick(NAMES) : junk())),
    testid: random() < 0.3 ? null : (random() < 0.5 ? pick(NAMES) : junk()),
  }));
  const platform = pick(['mturk', 'prolific']);
  const built = pageReport.build({
    platform, extensionVersion: pick(['0.1.0', '1.2.3.4', '1.0.0-beta', 'x']), browser: pick(['chromium', 'firefox', 'lynx']),
    pathname: pick(['/', '/projects', '/requesters/A2P2MT8IK72CVZ/projects', '/tasks', '/studies', '/submissions?x=1']),
    problem: pick(['no_tasks', 'partial', 'boom']),
    counts: { rows_seen: Math.floor(random() * 200), tasks_read: Math.floor(random() * 200), data_items: random() < 0.1 ? 1e12 : 27 },
    probes: { hitset_table: 1, rows: Math.floor(random() * 100), 'Bad Name': 3, study_cards: -4 },
    entries,
  });
  // What the background sends: the page's report cleaned again (background.js "page-report").
  reports.push(pageReport.sanitize(JSON.parse(JSON.stringify(built)), { extensionVersion: '0.1.0' }));
}
process.stdout.write(JSON.stringify(reports));
"""


def built_reports() -> list[dict[str, Any]]:
    if shutil.which("node") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("node not found: the extension's report builder cannot run")
        pytest.skip("node not found")
    result = subprocess.run(["node", "-e", SCRIPT, str(BUILDER)], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_server_takes_every_report_the_extension_builds(client: TestClient, db: Db):
    reports = built_reports()
    assert len(reports) == 40
    assert sum(len(r["elements"]) for r in reports) > 1000, "the builder kept a real amount of shape"
    for report in reports:
        response = client.post(PATH, json=report)
        assert response.status_code == 201, (response.text, report)
    rows = stored(db)
    assert [as_sent(row) for row in rows] == reports
    # And nothing identifying came through the builder.
    text = json.dumps(rows)
    for secret in ("676eda540ac41cc075b4e578", "A2P2MT8IK72CVZ", "1234567", "@", "https", "?", "Take this"):
        assert secret not in text, secret
