"""Benchmark-only routes (FAIRFINDER_BENCH_ROUTES=1): the bench stores one real annotate response with
PUT, then POST returns it as it is, so the framework's ceiling is measured beside annotate."""
from __future__ import annotations

from litestar import Request, Response, post, put

_payload: bytes = b"{}"


@put("/api/v1/_bench/baseline", include_in_schema=False, status_code=204)
async def store_baseline(request: Request) -> None:
    global _payload
    _payload = await request.body()


@post("/api/v1/_bench/baseline", include_in_schema=False, status_code=200)
async def baseline(request: Request) -> Response[bytes]:
    await request.body()  # read the same request body annotate would read
    return Response(_payload, media_type="application/json")
