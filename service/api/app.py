"""The HTTP application: routes over the engine, the pages, the OpenAPI document.

`create_app` takes everything it runs on (processor, settings, clock, rejections source);
service/bootstrap.py `build_api` builds it for `claim-edit api`, the tests with fakes.
"""

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.concurrency import run_in_threadpool

from contracts import ClaimEnriched, ClaimRejected, ClaimSubmitted, DeadLetter
from service.adapters.broker_wait import NoBrokerError
from service.api.engine import ClaimProcessor, check_event, interchange_checker
from service.api.rejections import RejectionSource, rejections_view
from service.api.security import AccessLog, Guard, read_capped
from service.config import ApiSettings
from service.domain.reference import ReferenceData
from service.domain.registry import catalog_for
from service.entrypoints.rendering import rules_json

PAGE_DIR = Path(__file__).parent / "page"
X12_MEDIA = "application/edi-x12"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token, or not a known one"},
    413: {"description": "the body is over CLAIM_EDIT_MAX_EVENT_BYTES"},
    429: {"description": "over the token's rate (CLAIM_EDIT_API_RATE_LIMIT); see Retry-After"},
}
# Pages and their assets: no inline script or style, nothing from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def reference_document(reference: ReferenceData, as_of: date | None) -> dict[str, Any] | None:
    """What `claim-edit reference show` shows, as data (None: no ruleset covers `as_of`)."""
    from service.entrypoints.reference_show import SHIPPED, _dates, _rows, _zip_origin

    rulesets = reference.rulesets
    if as_of is not None:
        found = reference.ruleset_for(as_of)
        if found is None:
            return None
        rulesets = (found,)
    shown = []
    for ruleset in rulesets:
        origins = reference.origins.get(ruleset.version) or {}
        tables = []
        for name, rows in _rows(ruleset).items():
            provenances = [row.provenance for row in rows]
            tables.append(
                {
                    "table": name,
                    "rows": len(rows),
                    "in_force": _dates(provenances),
                    "confidence": dict(Counter(p.confidence for p in provenances).most_common()),
                    "from": origins.get(name, SHIPPED if rows else ""),
                }
            )
        for table in ruleset.zip_tables:
            tables.append(
                {
                    "table": "zip5",
                    "rows": len(table.localities),
                    "in_force": _dates([table.provenance]),
                    "confidence": {table.provenance.confidence: len(table.localities)},
                    "from": origins.get("zip5", _zip_origin(table.provenance)),
                }
            )
        shown.append(
            {
                "version": ruleset.version,
                "tables": tables,
                "files": [
                    {"name": s.name, "release": s.release, "sha256": s.sha256}
                    for s in ruleset.sources
                ],
            }
        )
    return {
        "rulesets": shown,
        "partial": list(reference.partial),
        "ignored_files": list(reference.ignored_files),
    }


def samples_document() -> list[dict[str, Any]]:
    """The worked samples (package data of `samples`): name, note and the event."""
    folder = files("samples")
    events = {
        e["event_id"]: e
        for e in map(orjson.loads, folder.joinpath("claims.jsonl").read_bytes().splitlines())
    }
    return [
        {"name": case["name"], "note": case.get("note", ""), "event": events[case["event_id"]]}
        for case in map(orjson.loads, folder.joinpath("expected.jsonl").read_bytes().splitlines())
        if case["event_id"] in events
    ]


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with the contract's own models (contracts/) as the bodies: the
    routes take bytes, so that the engine, not the framework, reads them as `check` does."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (ClaimSubmitted, "validation"),
        (ClaimEnriched, "serialization"),
        (ClaimRejected, "serialization"),
        (DeadLetter, "serialization"),
    ]
    refs, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(definitions.get("$defs", {}))
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}

    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(refs[(model, mode)])

    def json_body(body: dict[str, Any]) -> dict[str, Any]:
        return {"application/json": {"schema": body}}

    claims = schema["paths"]["/v1/claims:check"]["post"]
    claims["requestBody"] = {
        "required": True,
        "content": json_body(ref(ClaimSubmitted, "validation")),
    }
    claims["responses"]["200"] = {
        "description": "the claim's outcome: enriched or rejected, the bytes `check` gives",
        "content": json_body(
            {
                "oneOf": [
                    ref(ClaimEnriched, "serialization"),
                    ref(ClaimRejected, "serialization"),
                ]
            }
        ),
    }
    claims["responses"]["422"] = {
        "description": "not a readable ClaimSubmitted: its dead letter",
        "content": json_body(ref(DeadLetter, "serialization")),
    }
    x12 = schema["paths"]["/v1/x12:check"]["post"]
    x12["requestBody"] = {
        "required": True,
        "content": {X12_MEDIA: {"schema": {"type": "string"}}},
    }
    x12["responses"]["200"] = {
        "description": "the 277CA (or, for an invalid 837, the 999), one interchange per part",
        "content": {X12_MEDIA: {"schema": {"type": "string"}}},
    }
    x12["responses"]["422"] = {
        "description": "bytes that are no interchange: their dead letters, one a line",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
    for path, operations in schema["paths"].items():
        if path.startswith("/v1/"):
            for operation in operations.values():
                operation["security"] = [{"bearer": []}]
    return schema


def create_app(
    processor: ClaimProcessor,
    settings: ApiSettings,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    rejections: RejectionSource | None = None,
    tokens: tuple[str, ...] | None = None,
) -> AccessLog:
    """The ASGI application (FastAPI inside an access log). `tokens`: the accepted bearer
    tokens, by default the settings' (CLAIM_EDIT_API_TOKENS, CLAIM_EDIT_API_TOKENS_FILE)."""
    guard = Guard(tokens if tokens is not None else settings.bearer_tokens(), settings.rate_limit)
    limit = processor.limits.max_event_bytes
    check_interchange = interchange_checker(processor, clock)
    app = FastAPI(
        title="claim-edit",
        version=version("claim-edit"),
        description="PCI claim edits over HTTP: the same engine, ruleset and bytes as "
        "`claim-edit check` (docs/api.md).",
        docs_url=None,
        redoc_url=None,
    )
    authorized = [Depends(guard)]

    @app.post("/v1/claims:check", dependencies=authorized, responses=ERRORS)
    async def check_claim(request: Request) -> Response:
        """One ClaimSubmitted event in; its outcome event out."""
        raw = await read_capped(request, limit)
        result = check_event(processor, raw, clock())
        return Response(
            result.value,
            status_code=422 if result.event_type == "claim.dead_letter" else 200,
            media_type="application/json",
            headers={"Claim-Edit-Event-Type": result.event_type},
        )

    @app.post("/v1/x12:check", dependencies=authorized, responses=ERRORS)
    async def check_x12(request: Request) -> Response:
        """An 837 interchange in; its 277CA (or 999) out, as the X12 lane of `serve` answers."""
        raw = await read_capped(request, limit)
        answered = await run_in_threadpool(check_interchange, raw)
        if not answered.answers:
            return Response(
                b"".join(d + b"\n" for d in answered.dead_letters),
                status_code=422,
                media_type="application/x-ndjson",
            )
        return Response(
            b"".join(text for _, text in answered.answers),
            media_type=X12_MEDIA,
            headers={
                "Claim-Edit-Answer": ",".join(kind for kind, _ in answered.answers),
                "Claim-Edit-Claims": str(len(answered.outcomes)),
                "Claim-Edit-Dead-Letters": str(len(answered.dead_letters)),
            },
        )

    @app.get("/v1/rules", dependencies=authorized, responses=ERRORS)
    async def rules(as_of: Annotated[date | None, Query()] = None) -> Response:
        """The edit catalog in force on a service date (`claim-edit rules --format json`)."""
        ruleset = None
        if as_of is not None:
            found = processor.reference.ruleset_for(as_of)
            if found is None:
                raise HTTPException(404, f"no ruleset covers {as_of.isoformat()}")
            ruleset = found.version
        text = rules_json(catalog_for(ruleset), ruleset, as_of)
        return Response(text, media_type="application/json")

    @app.get("/v1/reference", dependencies=authorized, responses=ERRORS)
    async def reference(as_of: Annotated[date | None, Query()] = None) -> dict[str, Any]:
        """The reference data loaded (`claim-edit reference show`)."""
        document = reference_document(processor.reference, as_of)
        if document is None:
            raise HTTPException(404, f"no ruleset covers {as_of}")
        return document

    @app.get("/v1/rejections", dependencies=authorized, responses=ERRORS)
    async def rejections_now(
        minutes: Annotated[float | None, Query(gt=0, le=7 * 24 * 60)] = None,
    ) -> dict[str, Any]:
        """Committed rejections and dead letters of the last `minutes` (`claim-edit
        rejections`), with the claims behind each count."""
        if rejections is None:
            raise HTTPException(503, "no rejections source configured")
        window = timedelta(minutes=minutes or settings.rejections_window_minutes)
        now = clock()
        try:
            seen = await rejections.since(now - window)
        except NoBrokerError as error:
            raise HTTPException(503, str(error)) from error
        return rejections_view(seen, window, now)

    def page(name: str) -> Callable[[], Any]:
        async def serve_page() -> FileResponse:
            return FileResponse(PAGE_DIR / name, headers=PAGE_HEADERS)

        return serve_page

    app.get("/", include_in_schema=False)(page("index.html"))
    app.get("/rejections", include_in_schema=False)(page("rejections.html"))

    samples = orjson.dumps(samples_document())

    @app.get("/samples.json", include_in_schema=False)
    async def samples_json() -> Response:
        return Response(samples, media_type="application/json", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=PAGE_DIR), name="static")
    app.openapi = lambda: app.openapi_schema or _cache(app)  # type: ignore[method-assign]
    paths = {getattr(r, "path", "") for r in app.routes} | {"/openapi.json"}
    return AccessLog(app, lambda: paths)


def _cache(app: FastAPI) -> dict[str, Any]:
    app.openapi_schema = _openapi(app)
    return app.openapi_schema
