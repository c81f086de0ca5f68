"""`fairfinder certificate verify FILE`: the same check as POST /api/v1/certificates/verify, offline."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.certificate.history import record
from tests.helpers import worker_id
from tests.conftest import ROOT, TEST_SECRET
from tests.helpers import Db


def verify(path: Path, tmp_path: Path, secret: str = TEST_SECRET) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FAIRFINDER_SECRET": secret, "FAIRFINDER_DATA_DIR": str(tmp_path / "cli-data"),
           "FAIRFINDER_LOG_LEVEL": "WARNING", "COLUMNS": "200"}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "server.cli", "certificate", "verify", str(path)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def downloaded(client: TestClient, alice: dict[str, str], db: Db, tmp_path: Path) -> Path:
    picks = record(db, worker_id(client, alice))
    response = client.get("/api/v1/me/certificate.json", headers=alice, params={"feedback": str(picks["receipts"])})
    assert response.status_code == 200
    path = tmp_path / "work-certificate.json"
    path.write_bytes(response.content)
    return path


def test_a_genuine_certificate_verifies(downloaded, tmp_path):
    result = verify(downloaded, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Valid: issued by Fairfinder (http://127.0.0.1:8000)" in result.stdout
    assert json.loads(downloaded.read_text())["proof"]["verificationMethod"].split("#")[1] in result.stdout


def test_a_changed_copy_does_not(downloaded, tmp_path):
    document = json.loads(downloaded.read_text())
    document["credentialSubject"]["tasksApproved"] += 1
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document))
    result = verify(changed, tmp_path)
    assert result.returncode == 1
    assert "Not valid (tampered)" in result.stderr and "changed after it was issued" in result.stderr


def test_another_servers_key_does_not(downloaded, tmp_path):
    result = verify(downloaded, tmp_path, secret="some other server's secret")
    assert result.returncode == 1 and "unknown_key" in result.stderr
    assert f"data folder {tmp_path / 'cli-data'}" in " ".join(result.stderr.split())


@pytest.mark.parametrize(("content", "words"), [
    (b"%PDF-1.7 ...", "is a PDF"),
    (b"{not json", "Not valid (not_json)"),
    (b" " * (256 * 1024 + 10), "larger than a certificate can be"),
])
def test_files_that_are_not_certificates_are_invalid(content, words, tmp_path):
    path = tmp_path / "file"
    path.write_bytes(content)
    result = verify(path, tmp_path)
    assert result.returncode == 2 and words in result.stderr, result.stderr  # invalid, not "not valid" (1)


def test_a_missing_file_is_not_found(tmp_path):
    result = verify(tmp_path / "nothing.json", tmp_path)
    assert result.returncode == 3 and "there is no file" in result.stderr


def test_it_names_the_data_folder_and_needs_its_secret(downloaded, tmp_path):
    env = {**os.environ, "FAIRFINDER_DATA_DIR": str(tmp_path / "elsewhere"), "COLUMNS": "300"}
    env.pop("FAIRFINDER_SECRET", None)
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "server.cli", "certificate", "verify", str(downloaded)], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr
    assert f"Data folder: {tmp_path / 'elsewhere'}" in result.stderr
    assert "There is no server secret at" in result.stderr
    assert not (tmp_path / "elsewhere" / "secret").exists()  # no new secret was made to check it with
