"""GET /api/v1/speech (text, SSML) and GET /audio/{platform}.wav|.ogg (espeak-ng, disk cache) on the demo data.

The audio tests run the real espeak-ng. Without it they are skipped locally, but fail in CI (CI set):
a CI image without espeak-ng must not pass by skipping them.
"""
from __future__ import annotations

import asyncio
import io
import os
import shutil
import stat
import time
import wave
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from accessibility import speech
from server.db.engine import write_transaction
from server.demo import seed_demo
from server.domain.filters import Filters
from server.listen import speech_routes
from server.listen.items import listen_items
from server.listen.speech_routes import AudioRenderer, audio_key
from server.settings import Settings
from tests.conftest import register

SPEECH = "/api/v1/speech"
WAV = "/audio/mturk.wav"
UNAVAILABLE = {"status": 503, "code": "speech_unavailable", "message": "espeak-ng is not installed on this server"}


def check_response(response: httpx.Response) -> None:
    """No stack traces; errors in the one JSON shape; the only 5xx is a 503 speech_unavailable."""
    response.read()
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) <= {"status", "code", "message", "field", "errors"}, body
        assert body["status"] == response.status_code, body
        assert response.status_code < 500 or (response.status_code, body["code"]) == (503, "speech_unavailable"), body


@pytest.fixture
def demo(client: TestClient) -> Iterator[TestClient]:
    """The app with the demo seed in its database (seeded through the app's own sessionmaker)."""
    async def seed() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await seed_demo(session)

    with client.portal() as portal:
        portal.call(seed)
    client.event_hooks["response"].append(check_response)
    yield client


def expected_sentences(client: TestClient, filters: Filters, verbosity: str = "normal") -> list[str]:
    """The script computed directly from listen_items: what the routes must speak."""
    async def script() -> list[str]:
        async with client.app.state.sessionmaker() as session:
            shown, hidden = await listen_items(session, "mturk", filters, datetime.now(timezone.utc))
        return speech.list_script([item.spoken for item in shown], verbosity, len(hidden))

    with client.portal() as portal:
        return portal.call(script)


def need_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        message = "espeak-ng is not installed (Debian package espeak-ng; `make system-deps`)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must run the audio tests")
        pytest.skip(message)


def wav_seconds(content: bytes) -> float:
    with wave.open(io.BytesIO(content)) as audio:
        return audio.getnframes() / audio.getframerate()


def error_of(response: httpx.Response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    if field is not None:
        assert body["field"] == field, body
    return body


# --- text and SSML ------------------------------------------------------------------------------


def test_text_speaks_the_demo_list_best_paid_first(demo: TestClient) -> None:
    response = demo.get(SPEECH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "private" in response.headers["cache-control"]
    sentences = expected_sentences(demo, Filters())
    assert response.text == speech.to_text(sentences)
    lines = response.text.splitlines()
    assert lines[0] == "27 tasks, best paid first."
    assert lines[1].startswith("Task 1. ") and len(lines) == 28


def test_ssml_parses_and_carries_the_rate(demo: TestClient) -> None:
    plain = demo.get(SPEECH, params={"format": "ssml"})
    fast = demo.get(SPEECH, params={"format": "ssml", "rate": 200})
    for response in (plain, fast):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/ssml+xml")
    root = ET.fromstring(plain.content)
    assert root.tag == f"{{{speech.SSML_NAMESPACE}}}speak"
    paragraphs = root.findall(f".//{{{speech.SSML_NAMESPACE}}}p")
    assert len(paragraphs) == 28  # the opening and 27 tasks
    assert plain.text == speech.to_ssml(expected_sentences(demo, Filters()), 100)
    fast_root = ET.fromstring(fast.content)
    prosody = fast_root.find(f"{{{speech.SSML_NAMESPACE}}}prosody")
    assert prosody is not None and prosody.get("rate") == "200%"
    assert root.find(f"{{{speech.SSML_NAMESPACE}}}prosody") is None


def test_verbosity_says_more_or_less(demo: TestClient) -> None:
    lengths = {}
    for verbosity in ("short", "normal", "full"):
        response = demo.get(SPEECH, params={"verbosity": verbosity})
        assert response.status_code == 200
        assert response.text == speech.to_text(expected_sentences(demo, Filters(), verbosity))
        lengths[verbosity] = len(response.text)
    assert lengths["short"] < lengths["normal"] < lengths["full"]


def test_query_filters_override_for_this_call(demo: TestClient) -> None:
    response = demo.get(SPEECH, params={"min_hourly": "7.25"})
    assert response.status_code == 200
    expected = expected_sentences(demo, Filters(min_hourly_cents=725))
    assert response.text == speech.to_text(expected)
    assert "more hidden by your filters" in expected[0] and len(expected) < 28

    hide = demo.get(SPEECH, params=[("hide", "needs_sight"), ("hide", "webcam_or_phone")])
    assert hide.status_code == 200
    assert hide.text == speech.to_text(expected_sentences(demo, Filters(hide_needs=["needs_sight", "webcam_or_phone"])))
    assert "hidden by your filters" in hide.text.splitlines()[0]


def test_signed_in_worker_gets_saved_filters_and_query_overrides_them(demo: TestClient) -> None:
    headers = register(demo, "listener")
    saved = demo.put("/api/v1/me/filters", headers=headers, json={"min_hourly_cents": 900})
    assert saved.status_code == 200, saved.text
    mine = demo.get(SPEECH, headers=headers)
    assert mine.text == speech.to_text(expected_sentences(demo, Filters(min_hourly_cents=900)))
    assert mine.text != demo.get(SPEECH).text  # anonymous: the defaults
    overridden = demo.get(SPEECH, headers=headers, params={"min_hourly": 0})
    assert overridden.text == speech.to_text(expected_sentences(demo, Filters(min_hourly_cents=0)))
    error_of(demo.get(SPEECH, headers={"Authorization": "Bearer ff_unknown"}), 401, "invalid_token")


@pytest.mark.parametrize(("params", "field"), [
    ({"rate": 49}, "rate"), ({"rate": 401}, "rate"), ({"rate": "fast"}, "rate"), ({"rate": "1.5"}, "rate"),
    ({"format": "mp3"}, "format"), ({"verbosity": "chatty"}, "verbosity"), ({"platform": "upwork"}, "platform"),
    ({"min_hourly": -1}, "min_hourly"), ({"min_hourly": "nan"}, "min_hourly"), ({"min_hourly": "lots"}, "min_hourly"),
    ({"hide": "needs_patience"}, "hide"), ([("hide", "captcha"), ("hide", "-v")], "hide"),
])
def test_bad_parameters_are_refused_with_the_field_named(demo: TestClient, params: object, field: str) -> None:
    error_of(demo.get(SPEECH, params=params), 400, "invalid_parameter", field)  # type: ignore[arg-type]
    if field not in ("format", "platform"):  # the audio route takes neither (platform is in its path)
        error_of(demo.get(WAV, params=params), 400, "invalid_parameter", field)  # type: ignore[arg-type]


def test_unknown_audio_names_are_404(demo: TestClient) -> None:
    for path in ("/audio/mturk.mp3", "/audio/upwork.wav", "/audio/mturk", "/audio/..wav"):
        error_of(demo.get(path), 404, "not_found")


def test_openapi_documents_both_routes(demo: TestClient) -> None:
    paths = demo.get("/schema/openapi.json").json()["paths"]
    speech_get, audio_get = paths[SPEECH]["get"], paths["/audio/{filename}"]["get"]
    assert speech_get["summary"] and audio_get["summary"]
    assert {"400", "401"} <= set(speech_get["responses"])
    assert {"400", "404", "503"} <= set(audio_get["responses"])
    names = {p["name"] for p in speech_get["parameters"]}
    assert {"platform", "format", "rate", "verbosity", "min_hourly", "hide"} <= names


# --- audio --------------------------------------------------------------------------------------


def test_wav_is_rendered_and_faster_rate_is_shorter(demo: TestClient) -> None:
    need_espeak()
    normal = demo.get(WAV, params={"verbosity": "short"})
    fast = demo.get(WAV, params={"verbosity": "short", "rate": 200})
    for response in (normal, fast):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "audio/wav"
        assert int(response.headers["content-length"]) == len(response.content)
        assert response.content[:4] == b"RIFF"
        assert "private" in response.headers["cache-control"]
    assert wav_seconds(normal.content) > 1
    assert wav_seconds(fast.content) < wav_seconds(normal.content) * 0.75


def test_second_request_is_served_from_the_disk_cache(demo: TestClient, settings: Settings) -> None:
    need_espeak()
    first = demo.get(WAV, params={"verbosity": "short"})
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    text = speech.to_text(expected_sentences(demo, Filters(), "short"))
    cached = settings.data_dir / "audio" / f"{audio_key(text, 100)}.wav"
    assert cached.is_file() and cached.read_bytes() == first.content
    mtime = cached.stat().st_mtime_ns
    time.sleep(0.05)

    second = demo.get(WAV, params={"verbosity": "short"})
    assert second.status_code == 200
    assert second.headers["etag"] == etag and second.content == first.content
    assert cached.stat().st_mtime_ns == mtime  # not rendered again
    assert [p.name for p in cached.parent.iterdir() if not p.name.startswith(".")] == [cached.name]

    unchanged = demo.get(WAV, params={"verbosity": "short"}, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    other = demo.get(WAV, params={"verbosity": "short", "rate": 150}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_ogg_is_encoded_from_the_wav_when_oggenc_is_installed(demo: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    need_espeak()
    if shutil.which("oggenc") is not None:
        response = demo.get("/audio/mturk.ogg", params={"verbosity": "short"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "audio/ogg" and response.content[:4] == b"OggS"
    real_which = shutil.which
    monkeypatch.setattr(speech_routes.shutil, "which", lambda name: None if name == "oggenc" else real_which(name))
    missing = error_of(demo.get("/audio/mturk.ogg"), 404, "not_found")
    assert "oggenc" in missing["message"] and ".wav" in missing["message"]


def test_503_when_espeak_ng_is_not_installed(demo: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    response = demo.get(WAV)
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert demo.get(SPEECH).status_code == 200  # text and SSML need no synthesizer


def test_a_hung_renderer_times_out_with_503_and_is_killed(demo: TestClient, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pid_file = tmp_path / "pid"
    fake = bin_dir / "espeak-ng"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(speech_routes, "RENDER_TIMEOUT_SECONDS", 0.5)
    started = time.monotonic()
    response = demo.get(WAV)
    assert time.monotonic() - started < 10
    body = error_of(response, 503, "speech_unavailable")
    assert "longer than" in body["message"]
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and "Z" not in _proc_state(pid):
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists() or "Z" in _proc_state(pid)
    audio = Path(demo.app.state.settings.data_dir) / "audio"
    assert not list(audio.glob("*.wav"))  # nothing half-written is left to serve


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_script_text_is_never_passed_as_arguments(demo: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake espeak-ng records its argv: the only free-form argument is a file path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argv_file = tmp_path / "argv"
    fake = bin_dir / "espeak-ng"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {argv_file}\nwhile [ "$1" != "-w" ]; do shift; done\n'
                    'printf "RIFF0000WAVEfmt padding-padding-padding-padding-padding-" > "$2"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    demo.get(WAV, params={"rate": 123})
    argv = argv_file.read_text().splitlines()
    assert argv[:6] == ["-b", "1", "-v", "en-us", "-s", str(speech.words_per_minute(123))]
    assert argv[6] == "-w" and argv[8] == "-f" and len(argv) == 10
    assert Path(argv[9]).name == "script.txt"


def test_cache_is_pruned_oldest_first(tmp_path: Path) -> None:
    renderer = AudioRenderer(tmp_path, concurrency=2, timeout=5, max_bytes=2500)
    os.utime(tmp_path)
    now = tmp_path.stat().st_mtime  # ages count on the file system's clock, not the test run's (tests/clock.py)
    for age, name in enumerate(["newest", "middle", "oldest"]):
        path = tmp_path / f"{name}.wav"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (now - age * 100, now - age * 100))
    stale = tmp_path / ".tmp-crashed"
    stale.mkdir()
    os.utime(stale, (now - 7200, now - 7200))
    (tmp_path / "notes.txt").write_text("not audio")
    renderer.prune(keep=tmp_path / "newest.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["middle.wav", "newest.wav", "notes.txt"]


def test_audio_cache_lives_under_the_data_folder() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///x.db", data_dir=Path("/srv/ff"))
    assert speech_routes.audio_dir(settings) == Path("/srv/ff/audio")


def test_at_most_two_renders_run_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of distinct requests queues for the renderer's slots instead of starting one process each."""
    bin_dir, log = tmp_path / "bin", tmp_path / "running.log"
    bin_dir.mkdir()
    fake = bin_dir / "espeak-ng"
    fake.write_text(f'#!/bin/sh\necho start >> {log}\nsleep 0.3\nwhile [ "$1" != "-w" ]; do shift; done\n'
                    f'head -c 2000 /dev/zero > "$2"\necho end >> {log}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    renderer = AudioRenderer(tmp_path / "audio", concurrency=2, timeout=20, max_bytes=10**9)

    async def burst() -> list[Path]:
        return list(await asyncio.gather(*(renderer.get(f"Task {i}.", 100, "wav") for i in range(6))))

    paths = asyncio.run(burst())
    assert len(set(paths)) == 6 and all(p.stat().st_size == 2000 for p in paths)
    running = peak = 0
    for line in log.read_text().split():
        running += 1 if line == "start" else -1
        peak = max(peak, running)
    assert peak == 2
