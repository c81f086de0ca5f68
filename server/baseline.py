"""Benchmark-only routes (FAIRFINDER_BENCH_ROUTES=1, never in the OpenAPI schema): two references that
bench/annotate.py measures beside annotate, both answering with one real annotate response stored by PUT.

* `POST /api/v1/_bench/baseline` reads the raw request body and returns the stored bytes: the HTTP
  transport's ceiling for a request and response this large (uvicorn, routing, no decoding or encoding).
* `POST /api/v1/_bench/baseline-typed` takes `data: AnnotateIn`, decoded and validated by Litestar exactly
  as annotate's body is, and returns the stored response as an `AnnotateOut` (decoded once per PUT, kept
  here), which Litestar encodes per request: the framework's ceiling for annotate's request and response,
  without annotate's own work (database session, lookups, pay math).
"""
from __future__ import annotations

import msgspec
from litestar import Request, Response, post, put

from server.errors import ApiError
from server.tasks.schemas import AnnotateIn, AnnotateOut

_typed = AnnotateOut(platform="mturk", target_cents_per_hour=0, filters_from="default", tasks=[])
_payload: bytes = msgspec.json.encode(_typed)


@put("/api/v1/_bench/baseline", include_in_schema=False, status_code=204)
async def store_baseline(request: Request) -> None:
    """Store an annotate response (its exact bytes) as the answer of both references."""
    global _payload, _typed
    body = await request.body()
    try:
        typed = msgspec.json.decode(body, type=AnnotateOut)
    except msgspec.DecodeError as error:  # ValidationError included
        raise ApiError(422, "invalid_payload", f"not an annotate response: {error}") from None
    _payload, _typed = body, typed


@post("/api/v1/_bench/baseline", include_in_schema=False, status_code=200)
async def baseline_bytes(request: Request) -> Response[bytes]:
    await request.body()  # read the same request body annotate would read
    return Response(_payload, media_type="application/json")


@post("/api/v1/_bench/baseline-typed", include_in_schema=False, status_code=200)
async def baseline_typed(data: AnnotateIn) -> AnnotateOut:  # noqa: ARG001 - decoded and validated, then unused
    return _typed


BENCH_ROUTES = [store_baseline, baseline_bytes, baseline_typed]
