"""The spoken list as text or SSML (GET /api/v1/speech) and as audio rendered by espeak-ng (GET /audio/…).

Both speak the same script: the tasks of /listen (server/listen/items.py: annotate's code path, best paid
first) worded by accessibility/speech.py. Audio is rendered off the event loop, at most
`RENDER_CONCURRENCY` at a time, and cached on disk by what was spoken, so a repeat costs a file read.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import anyio
import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import ETag, State
from litestar.di import Provide
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import Parameter
from litestar.response import File
from sqlalchemy.ext.asyncio import AsyncSession

from accessibility import speech
from server.auth import provide_optional_worker
from server.db.models import Worker
from server.domain.filters import Filters, Need
from server.errors import ApiError, ErrorBody, error_responses
from server.listen.items import listen_items
from server.settings import Settings
from server.workers.queries import load_filters

log = logging.getLogger("fairfinder.speech")

PlatformName = Literal["mturk", "prolific"]
Verbosity = Literal["short", "normal", "full"]
SpeechFormat = Literal["text", "ssml"]
AUDIO_FORMATS = {"wav": "audio/wav", "ogg": "audio/ogg"}
VOICE = "en-us"
RENDER_CONCURRENCY = 2  # espeak-ng processes at once: a burst of requests queues instead of forking dozens
RENDER_TIMEOUT_SECONDS = 30.0  # waiting for a slot included
AUDIO_CACHE_MAX_BYTES = 200 * 2**20
STALE_TEMP_SECONDS = 3600  # temp files older than this were left by a crash
_MAX_MIN_HOURLY_DOLLARS = 1_000_000  # filters' own upper bound on amounts (100,000,000 cents)

TEXT_MEDIA_TYPE = "text/plain"  # Litestar adds "; charset=utf-8"
SSML_MEDIA_TYPE = "application/ssml+xml; charset=utf-8"


class SpeechUnavailable(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(503, "speech_unavailable", message)


_SPEECH_503 = ResponseSpec(data_container=ErrorBody, description=(
    "`speech_unavailable`: espeak-ng is not installed on this server, the renderer is busy past the "
    "time limit, or rendering failed."))


@dataclass
class _SpeechOperation(Operation):
    """GET /api/v1/speech answers text or SSML; Litestar documents only the handler's default media type."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content["application/ssml+xml"] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))


@dataclass
class _AudioOperation(Operation):
    """GET /audio/… answers WAV or Ogg, and 304 to a matching If-None-Match."""

    def __post_init__(self) -> None:
        if self.responses is None:
            return
        ok = self.responses.get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content["audio/ogg"] = OpenAPIMediaType(schema=Schema())
        self.responses["304"] = OpenAPIResponse(description="Not modified: the If-None-Match ETag is still current.")


# --- the script -------------------------------------------------------------------------------------


def _min_hourly_cents(dollars: float | None) -> int | None:
    if dollars is None:
        return None
    return round(dollars * 100)


async def spoken_script(db_session: AsyncSession, state: State, worker: Worker | None, platform: str,
                        verbosity: str, min_hourly: float | None, hide: Sequence[str] | None) -> list[str]:
    """The sentences spoken for this caller: saved filters (defaults when anonymous) with the query's overrides."""
    filters: Filters = await load_filters(db_session, worker)
    changes: dict[str, Any] = {}
    if min_hourly is not None:
        changes["min_hourly_cents"] = _min_hourly_cents(min_hourly)
    if hide is not None:
        changes["hide_needs"] = list(dict.fromkeys(hide))
    if changes:
        filters = msgspec.structs.replace(filters, **changes)
    shown, hidden = await listen_items(db_session, platform, filters, datetime.now(timezone.utc),
                                       state.get("annotate_cache"))
    return speech.list_script([item.spoken for item in shown], verbosity, len(hidden))


# --- audio rendering and its disk cache -------------------------------------------------------------


def audio_key(text: str, rate: int, voice: str = VOICE) -> str:
    """The cache key: what is spoken, how fast, by which voice (length-prefixed, so fields cannot run together)."""
    digest = hashlib.sha256()
    for part in (text, str(rate), voice):
        encoded = part.encode()
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()


def audio_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "audio"


class AudioRenderer:
    """Renders with espeak-ng (and oggenc) in child processes, at most `concurrency` at a time."""

    def __init__(self, folder: Path, concurrency: int, timeout: float, max_bytes: int) -> None:
        self.folder = folder
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.slots = asyncio.Semaphore(concurrency)

    def path(self, key: str, extension: str) -> Path:
        return self.folder / f"{key}.{extension}"

    async def get(self, text: str, rate: int, extension: str) -> Path:
        """The cached file for this text and rate, rendered first when missing."""
        key = audio_key(text, rate)
        target = self.path(key, extension)
        if target.is_file():
            return target
        try:
            async with asyncio.timeout(self.timeout):
                async with self.slots:
                    if target.is_file():  # rendered by a concurrent request while this one waited
                        return target
                    wav = self.path(key, "wav")
                    if not wav.is_file():
                        await self._render_wav(text, rate, wav)
                    if extension == "ogg":
                        await self._encode_ogg(wav, target)
        except TimeoutError:
            raise SpeechUnavailable(f"Rendering the audio took longer than {self.timeout:g} s; try again shortly.") from None
        await anyio.to_thread.run_sync(self.prune, target)
        return target

    async def _render_wav(self, text: str, rate: int, target: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.folder, prefix=".tmp-") as work:
            text_file, wav = Path(work) / "script.txt", Path(work) / "out.wav"
            text_file.write_text(text, encoding="utf-8")
            # The text goes in a file, never on the command line, so no part of it can be read as an option.
            await _run(["espeak-ng", "-b", "1", "-v", VOICE, "-s", str(speech.words_per_minute(rate)),
                        "-w", str(wav), "-f", str(text_file)], "espeak-ng")
            if not wav.is_file() or wav.stat().st_size <= 44:
                raise SpeechUnavailable("espeak-ng produced no audio.")
            os.replace(wav, target)  # atomic: a half-written file is never served

    async def _encode_ogg(self, wav: Path, target: Path) -> None:
        with tempfile.TemporaryDirectory(dir=self.folder, prefix=".tmp-") as work:
            ogg = Path(work) / "out.ogg"
            await _run(["oggenc", "-Q", "-o", str(ogg), str(wav)], "oggenc")
            os.replace(ogg, target)

    def prune(self, keep: Path | None = None) -> None:
        """Delete the least recently used files beyond `max_bytes` (and temp folders a crash left behind)."""
        entries = []
        try:
            now = _filesystem_now_ns(self.folder) / 1e9
            children = list(self.folder.iterdir())
        except FileNotFoundError:
            return
        for child in children:
            try:
                info = child.stat()
            except FileNotFoundError:
                continue
            if child.name.startswith(".tmp-"):
                if now - info.st_mtime > STALE_TEMP_SECONDS:
                    shutil.rmtree(child, ignore_errors=True)
                continue
            if child.suffix.lstrip(".") in AUDIO_FORMATS and child.is_file():
                entries.append((max(info.st_atime, info.st_mtime), info.st_size, child))
        total = sum(size for _, size, _ in entries)
        for _, size, child in sorted(entries):
            if total <= self.max_bytes:
                break
            if child == keep:
                continue
            child.unlink(missing_ok=True)
            total -= size


async def _run(command: list[str], name: str) -> None:
    process = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _, stderr = await process.communicate()
    except BaseException:  # cancelled (timeout, client gone): do not leave the child running
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        log.warning("%s exited with %s: %s", name, process.returncode, stderr.decode(errors="replace")[-500:])
        raise SpeechUnavailable(f"{name} could not render this audio.")


def renderer_for(state: State, settings: Settings) -> AudioRenderer:
    renderer = state.get("audio_renderer")
    if renderer is None:
        renderer = state["audio_renderer"] = AudioRenderer(audio_dir(settings), RENDER_CONCURRENCY,
                                                           RENDER_TIMEOUT_SECONDS, AUDIO_CACHE_MAX_BYTES)
    return renderer


def _filesystem_now_ns(folder: Path) -> int:
    """Now, on the clock that stamps the folder's files: file ages are measured against it, not against this
    process's clock, which can differ (a network share's server; a test run's clock)."""
    os.utime(folder)
    return folder.stat().st_mtime_ns


def _touch_atime(path: Path) -> None:
    """Mark a cache hit for pruning without changing the file's mtime (the access time on the file system's clock)."""
    try:
        info = path.stat()
        os.utime(path, ns=(_filesystem_now_ns(path.parent), info.st_mtime_ns))
    except OSError:
        pass


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(candidate.strip().removeprefix("W/") == etag for candidate in header.split(","))


# --- routes -----------------------------------------------------------------------------------------

PlatformQuery = Annotated[PlatformName, Parameter(description="The platform whose known tasks are spoken.")]
RateQuery = Annotated[int, Parameter(ge=50, le=400, description="Speaking rate in percent of normal (100).")]
VerbosityQuery = Annotated[Verbosity, Parameter(description="How much is said per task.")]
MinHourlyQuery = Annotated[float | None, Parameter(
    query="min_hourly", ge=0, le=_MAX_MIN_HOURLY_DOLLARS,
    schema_extra={"minimum": 0},  # Litestar 2 leaves a bound of 0 out of the document (it tests truthiness)
    description="Hide tasks paying less than this many dollars (pounds on Prolific) an hour, for this call only.")]
HideQuery = Annotated[list[Need] | None, Parameter(
    description="Needs to hide for this call (repeatable), replacing the saved ones: " + ", ".join(Need.__args__))]


class SpeechController(Controller):
    tags = ["listen"]
    dependencies = {"worker": Provide(provide_optional_worker)}

    @get("/api/v1/speech", media_type=TEXT_MEDIA_TYPE, responses=error_responses(401), operation_class=_SpeechOperation,
         summary="The spoken task list as plain text or SSML (best paid first; your filters, or the defaults)",
         description="Answers `text/plain; charset=utf-8` (format=text) or `application/ssml+xml` (format=ssml). "
                     "`min_hourly` and `hide` override your saved filters for this call only.")
    async def speech_script(self, db_session: AsyncSession, state: State, worker: Worker | None,
                            platform: PlatformQuery = "mturk", format: Annotated[SpeechFormat, Parameter(  # noqa: A002
                                description="text or ssml")] = "text",
                            rate: RateQuery = 100, verbosity: VerbosityQuery = "normal",
                            min_hourly: MinHourlyQuery = None, hide: HideQuery = None) -> Response[str]:
        sentences = await spoken_script(db_session, state, worker, platform, verbosity, min_hourly, hide)
        if format == "ssml":
            return Response(speech.to_ssml(sentences, rate), media_type=SSML_MEDIA_TYPE,
                            headers={"Cache-Control": "private, no-cache", "Vary": "Authorization"})
        return Response(speech.to_text(sentences), media_type=TEXT_MEDIA_TYPE,
                        headers={"Cache-Control": "private, no-cache", "Vary": "Authorization"})

    @get("/audio/{filename:str}", media_type="audio/wav",
         responses={**error_responses(401, 404), 503: _SPEECH_503}, operation_class=_AudioOperation,
         summary="The spoken task list as audio: /audio/mturk.wav (or .ogg), rendered by espeak-ng and cached",
         description="Same query options as /api/v1/speech, without `format`. Strong ETag: send If-None-Match "
                     "to get 304 when nothing changed. `.ogg` needs oggenc (vorbis-tools) on the server.")
    async def audio(self, request: Request, db_session: AsyncSession, state: State, settings: Settings,
                    worker: Worker | None, filename: str, rate: RateQuery = 100,
                    verbosity: VerbosityQuery = "normal", min_hourly: MinHourlyQuery = None,
                    hide: HideQuery = None) -> Any:
        platform, _, extension = filename.rpartition(".")
        if platform not in get_args(PlatformName) or extension not in AUDIO_FORMATS:
            raise ApiError(404, "not_found", "No such audio: ask for /audio/mturk.wav or /audio/prolific.wav "
                                             "(or .ogg).")
        if extension == "ogg" and shutil.which("oggenc") is None:
            raise ApiError(404, "not_found", "Ogg audio needs oggenc (vorbis-tools), which is not installed on this "
                                             "server; ask for .wav instead.")
        if shutil.which("espeak-ng") is None:
            raise SpeechUnavailable("espeak-ng is not installed on this server")
        sentences = await spoken_script(db_session, state, worker, platform, verbosity, min_hourly, hide)
        text = speech.to_text(sentences)
        etag = f'"{audio_key(text, rate)}.{extension}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(b"", status_code=304, headers=headers, media_type=AUDIO_FORMATS[extension])
        renderer = renderer_for(state, settings)
        cached = renderer.path(audio_key(text, rate), extension)
        if cached.is_file():
            await anyio.to_thread.run_sync(_touch_atime, cached)
            path = cached
        else:
            path = await renderer.get(text, rate, extension)
        file_headers = {name: value for name, value in headers.items() if name != "ETag"}
        return File(path, filename=f"{platform}.{extension}", content_disposition_type="inline",
                    media_type=AUDIO_FORMATS[extension], headers=file_headers,
                    etag=ETag(value=etag.strip('"'), weak=False))
