"""GET /api/v1/me/certificate.pdf: a tagged PDF a screen reader can read, carrying the signed JSON.

Checked with the poppler tools a reader's machine has: pdftotext (what a screen reader gets), pdfinfo (tagged,
title), pdfinfo -struct-text (the tag tree: headings, tables, header cells), pdftoppm (it renders), pdfdetach
(the attached credential, verified with this server's key).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.api.conftest import assert_error
from tests.certificate.history import record
from tests.helpers import worker_id
from tests.helpers import Db, check_response

URL = "/api/v1/me/certificate.pdf"


def catalog(data: bytes) -> str:
    """The document catalog's dictionary (WeasyPrint keeps it in a compressed object stream)."""
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text = zlib.decompress(match.group(1)).decode("latin-1")
        except zlib.error:
            continue
        found = re.search(r"<<\s*/Type ?/Catalog.*?>>", text, re.S)
        if found:
            return found.group(0)
    return ""


def run(*args: str | Path) -> str:
    return subprocess.run([str(arg) for arg in args], capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture
def alice_record(client: TestClient, alice: dict[str, str], db: Db) -> dict[str, int]:
    return record(db, worker_id(client, alice))


@pytest.fixture
def pdf(client: TestClient, alice: dict[str, str], alice_record: dict[str, int], tmp_path: Path) -> Path:
    response = client.get(URL, headers=alice, params={
        "include": "kinds,approval,hours,earnings,feedback", "holder_name": "Alice Example",
        "feedback": f"{alice_record['receipts']},{alice_record['study']}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    assert re.fullmatch(r'attachment; filename="work-certificate-\d{4}-\d{2}-\d{2}\.pdf"',
                        response.headers["content-disposition"])
    assert response.content.startswith(b"%PDF-")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.content)
    return path


def test_text_says_what_the_credential_says(pdf):
    text = " ".join(run("pdftotext", "-layout", pdf, "-").split())
    for words in ("Work history certificate", "Holder: Alice Example", "Summary", "Kinds of work", "Hours worked",
                  "Earnings", "Requester feedback", "About this certificate and how to verify it",
                  "Tasks approved 4", "80.0% (4 approved of 5 decided tasks, 1 rejection)",
                  "Surveys and studies 2", "Data labelling 1", "Data entry and web research 1",
                  "Amazon Mechanical Turk", "Prolific", "$1.75", "£2.00", "$6.00/h", "$3.60/h",
                  "Paid work 35 minutes", "Searching for work between tasks 5 minutes",
                  "Great work, thank you!", "Very thoughtful answers", "Receipt Hog on Amazon Mechanical Turk",
                  "12 January 2026 to", "http://127.0.0.1:8000/api/v1/certificates/verify", "work-certificate.json"):
        assert words in text, words
    assert "Too many errors" not in text  # feedback that was not picked


def test_tagged_with_title_language_and_structure(pdf):
    info = run("pdfinfo", pdf)
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Work history certificate: Alice Example$", info, re.M)
    assert re.search(r"/Type ?/Catalog.*/Lang ?\(en\)", catalog(pdf.read_bytes()))
    assert 'pdfuaid:part="1"' in run("pdfinfo", "-meta", pdf)  # declares PDF/UA-1
    tree = run("pdfinfo", "-struct-text", pdf)
    tags = re.findall(r"^\s*([A-Za-z0-9]+)\b", tree, re.M)
    assert tags.count("H1") == 1
    assert tags.count("H2") >= 6
    assert "Table" in tags and "TH" in tags and "TD" in tags and "Caption" in tags
    assert '"Kinds of work"' in tree


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB PNG (what pdftoppm -png writes)."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position, idat, header = 8, b"", b""
    while position < len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind, body = data[position + 4:position + 8], data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    assert header[8:10] == b"\x08\x02", "8-bit RGB"
    raw, stride, rows = zlib.decompress(idat), width * 3, []
    previous = bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - 3] if x >= 3 else 0
            up, corner = previous[x], previous[x - 3] if x >= 3 else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
                line[x] = (line[x] + (left, up, corner)[distances.index(min(distances))]) & 255
        rows.append(bytes(line))
        previous = bytes(line)
    return width, height, rows


def test_renders_to_a_page_that_is_not_blank(pdf, tmp_path):
    run("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", pdf, tmp_path / "page")
    (png,) = tmp_path.glob("page*.png")
    width, height, rows = png_pixels(png.read_bytes())
    assert abs(width - 413) <= 1 and abs(height - 585) <= 1  # A4 at 50 dpi
    dark = sum(1 for row in rows for value in row[::3] if value < 128)
    assert dark > 500, dark  # text, not a white page
    assert dark < width * height // 4  # and not a black one


def test_the_attached_credential_verifies(pdf, tmp_path, client):
    listing = run("pdfdetach", "-list", pdf)
    assert "work-certificate.json" in listing
    out = tmp_path / "attached.json"
    run("pdfdetach", "-save", "1", "-o", out, pdf)
    credential = json.loads(out.read_text())
    assert credential["credentialSubject"]["holderName"] == "Alice Example"
    answer = client.post("/api/v1/certificates/verify", content=out.read_bytes(),
                         headers={"Content-Type": "application/json"}).json()
    assert answer["valid"] is True and answer["credential_id"] == credential["id"]
    # The PDF prints the same certificate id it carries.
    assert credential["id"] in " ".join(run("pdftotext", pdf, "-").split())


def test_an_empty_record_says_so(client, bob, tmp_path):
    response = client.get(URL, headers=bob)
    assert response.status_code == 200
    path = tmp_path / "empty.pdf"
    path.write_bytes(response.content)
    text = " ".join(run("pdftotext", path, "-").split())
    assert "No work was recorded in this period" in text


def test_bad_options_are_json_errors(client, alice):
    assert_error(client.get(URL, headers=alice, params={"include": "everything"}), 400, "invalid_parameter", "include")


def test_without_weasyprint_the_pdf_is_503_and_json_still_works(client, alice, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as on a machine without it: the import fails
    client.event_hooks["response"].remove(check_response)  # this one 5xx is the point
    response = client.get(URL, headers=alice)
    assert "Traceback" not in response.text
    body = assert_error(response, 503, "pdf_unavailable")
    assert "JSON" in body["message"]
    assert client.get("/api/v1/me/certificate.json", headers=alice).status_code == 200
