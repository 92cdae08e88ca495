"""`claim-edit api`: the engine over HTTP, behind tokens, a rate, a body limit and an access
log without patient data (docs/api.md). No network: Starlette's TestClient calls the app."""

import asyncio
import hmac
import json
import re
from collections.abc import Iterator, MutableMapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from pydantic import SecretStr
from starlette.requests import Request

from service.api import security
from service.api.app import create_app
from service.api.rejections import Seen
from service.api.security import read_capped
from service.app.edit_event import ClaimProcessor, Limits, Source
from service.config import ApiSettings
from service.domain.policy import Policy
from service.entrypoints.cli import main
from service.rejection_summary import RejectionSummary
from tests.builders import event_document, line
from tests.e2e_time import NOW
from tests.outcomes import REFERENCE

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "claims.jsonl"
TOKEN = "a-token-long-enough-0001"
OTHER = "a-token-long-enough-0002"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def settings(**values: Any) -> ApiSettings:
    return ApiSettings(**{"tokens": SecretStr(f"{TOKEN},{OTHER}"), **values})


class FakeRejections:
    def __init__(self, seen: Sequence[Seen]) -> None:
        self.seen = seen
        self.asked: list[datetime] = []

    async def since(self, start: datetime) -> Sequence[Seen]:
        self.asked.append(start)
        return [(d, at) for d, at in self.seen if at >= start]


class Lines:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})


@pytest.fixture
def client(processor: ClaimProcessor) -> Iterator[TestClient]:
    with TestClient(create_app(processor, settings(), clock=lambda: NOW)) as made:
        yield made


def test_each_sample_gets_the_bytes_check_prints(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", str(SAMPLES)])
    printed = capsys.readouterr().out.splitlines()
    events = [text for text in SAMPLES.read_bytes().splitlines() if text.strip()]
    assert len(printed) == len(events) > 10
    for raw, expected in zip(events, printed, strict=True):
        answer = client.post("/v1/claims:check", content=raw, headers=AUTH)
        assert answer.status_code == 200
        # `check` stamps occurred_at with its own clock; everything else is the same bytes
        stamp = orjson.loads(expected)["occurred_at"]
        assert answer.content == expected.replace(stamp, NOW.isoformat()).encode()
        assert answer.headers["claim-edit-event-type"] == orjson.loads(expected)["event_type"]


def test_an_unreadable_claim_is_422_with_its_dead_letter(client: TestClient) -> None:
    answer = client.post("/v1/claims:check", content=b'{"event_type": "x"}', headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["event_type"] == "claim.dead_letter"
    assert answer.json()["source"]["file"] == "<request>"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-known-token-at-all"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["no token", "wrong token", "not bearer"],
)
def test_without_a_known_bearer_token_every_api_call_is_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    body = orjson.dumps(event_document(line("92924", "LD")))
    for method, path in [("POST", "/v1/claims:check"), ("POST", "/v1/x12:check"),
                         ("GET", "/v1/rules"), ("GET", "/v1/reference"),
                         ("GET", "/v1/rejections")]:  # fmt: skip
        answer = client.request(method, path, content=body, headers=headers)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "event_id" not in answer.text


def test_tokens_are_compared_in_constant_time_against_every_configured_token(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert client.get("/v1/rules", headers=AUTH).status_code == 200
    # the first token matched, and the second was compared all the same: no early exit
    assert compared == [(TOKEN.encode(), TOKEN.encode()), (TOKEN.encode(), OTHER.encode())]


def test_a_body_declared_over_the_engine_limit_is_413(processor: ClaimProcessor) -> None:
    small = ClaimProcessor(REFERENCE, Policy(), Limits(max_event_bytes=2048))
    with TestClient(create_app(small, settings(), clock=lambda: NOW)) as client:
        big = orjson.dumps(event_document(*[line("92924", "LD", n=n) for n in range(1, 20)]))
        assert len(big) > 2048
        answer = client.post("/v1/claims:check", content=big, headers=AUTH)
        assert answer.status_code == 413
        assert "CLAIM_EDIT_MAX_EVENT_BYTES" in answer.text
        assert client.post("/v1/x12:check", content=big, headers=AUTH).status_code == 413


def _streaming_request(
    chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[Request, list[int]]:
    read: list[int] = []

    async def receive() -> MutableMapping[str, Any]:
        chunk = chunks[len(read)]
        read.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": len(read) < len(chunks)}

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    return Request(scope, receive), read


def test_a_streamed_body_is_refused_once_it_passes_the_limit_without_reading_the_rest() -> None:
    from fastapi import HTTPException

    request, read = _streaming_request([b"x" * 1000] * 50, [])
    with pytest.raises(HTTPException) as refused:
        asyncio.run(read_capped(request, 2048))
    assert refused.value.status_code == 413
    assert sum(read) == 3000  # three chunks of fifty: the third passed the limit


def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read() -> None:
    from fastapi import HTTPException

    request, read = _streaming_request([b"x" * 1000] * 50, [(b"content-length", b"50000")])
    with pytest.raises(HTTPException):
        asyncio.run(read_capped(request, 2048))
    assert read == []


def test_each_token_has_its_own_rate_and_over_it_is_429_with_retry_after(
    processor: ClaimProcessor,
) -> None:
    with TestClient(create_app(processor, settings(rate_limit="2/minute"))) as client:
        assert [client.get("/v1/rules", headers=AUTH).status_code for _ in range(2)] == [200, 200]
        over = client.get("/v1/rules", headers=AUTH)
        assert over.status_code == 429
        assert 1 <= int(over.headers["retry-after"]) <= 60
        other = client.get("/v1/rules", headers={"Authorization": f"Bearer {OTHER}"})
        assert other.status_code == 200


def test_the_access_log_has_no_body_query_or_token(processor: ClaimProcessor) -> None:
    app = create_app(processor, settings(), clock=lambda: NOW)
    lines = Lines()
    app.log = lines
    body = orjson.dumps(event_document(line("92924", "LD")))
    member = orjson.loads(body)["claim"]["patient"]["member_id"]
    with TestClient(app) as client:
        client.post("/v1/claims:check?member=" + member, content=body, headers=AUTH)
        client.get(f"/v1/nothing/{member}", headers=AUTH)
    assert [(x["route"], x["status"]) for x in lines.lines] == [
        ("/v1/claims:check", 200),
        ("(other)", 404),
    ]
    written = json.dumps(lines.lines)
    assert member not in written and TOKEN not in written
    assert lines.lines[0]["caller"] == security.token_id(TOKEN)


def test_it_binds_loopback_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIM_EDIT_API_HOST", raising=False)
    assert ApiSettings().host == "127.0.0.1"


def test_no_token_configured_refuses_to_start(processor: ClaimProcessor) -> None:
    with pytest.raises(ValueError, match="CLAIM_EDIT_API_TOKENS"):
        create_app(processor, ApiSettings(tokens=None, tokens_file=None))


def test_tokens_come_from_a_file_one_a_line_and_short_ones_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "tokens"
    good.write_text(f"# the billing team\n{TOKEN}\n\n{OTHER}\n")
    assert ApiSettings(tokens_file=good).bearer_tokens() == (TOKEN, OTHER)
    short = tmp_path / "short"
    short.write_text("secret\n")
    with pytest.raises(ValueError, match="shorter than 16"):
        ApiSettings(tokens_file=short).bearer_tokens()


def test_the_openapi_document_is_valid_and_its_bodies_are_the_contract(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    schemas = document["components"]["schemas"]

    def resolved(schema: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return found

    check = document["paths"]["/v1/claims:check"]["post"]
    submitted = resolved(check["requestBody"]["content"]["application/json"]["schema"])
    assert submitted["properties"]["event_type"]["const"] == "claim.submitted"
    outcomes = check["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"]
    assert {resolved(s)["properties"]["event_type"]["const"] for s in outcomes} == {
        "claim.enriched",
        "claim.rejected",
    }
    assert {"401", "413", "429", "422"} <= set(check["responses"])
    assert check["security"] == [{"bearer": []}]


def test_x12_check_answers_an_837_with_its_277ca(client: TestClient) -> None:
    interchange = (ROOT / "samples" / "x12" / "samples.837p.x12").read_bytes()
    answer = client.post("/v1/x12:check", content=interchange, headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/edi-x12"
    assert answer.text.startswith("ISA*") and "ST*277*" in answer.text
    claims = len(re.findall(rb"~CLM\*", interchange))
    assert int(answer.headers["claim-edit-claims"]) == claims
    assert answer.text.count("STC*") >= claims


def test_x12_check_answers_an_invalid_837_with_a_999(client: TestClient) -> None:
    interchange = (ROOT / "samples" / "x12" / "samples.837p.x12").read_bytes()
    broken = re.sub(rb"~CLM\*[^*]*\*", b"~CLM**", interchange, count=1)
    answer = client.post("/v1/x12:check", content=broken, headers=AUTH)
    assert answer.status_code == 200
    assert "ST*999*" in answer.text


def test_bytes_that_are_no_interchange_are_422_with_their_dead_letter(client: TestClient) -> None:
    answer = client.post("/v1/x12:check", content=b"not x12", headers=AUTH)
    assert answer.status_code == 422
    assert orjson.loads(answer.content.splitlines()[0])["error_kind"] == "undecodable"


def test_rules_is_the_catalog_rules_prints(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["rules", "--format", "json", "--as-of", "2026-03-02"])
    printed = json.loads(capsys.readouterr().out)
    assert client.get("/v1/rules?as_of=2026-03-02", headers=AUTH).json() == printed
    assert client.get("/v1/rules?as_of=1990-01-01", headers=AUTH).status_code == 404


def test_reference_lists_the_tables_reference_show_shows(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["reference", "show", "--as-of", "2026-03-02"])
    shown = capsys.readouterr().out
    document = client.get("/v1/reference?as_of=2026-03-02", headers=AUTH).json()
    (ruleset,) = document["rulesets"]
    assert ruleset["version"] in shown
    rows = {table["table"]: table["rows"] for table in ruleset["tables"]}
    assert {"codes", "rvu", "ptp_practitioner", "gpci", "zip5"} <= set(rows)
    for name, count in rows.items():
        assert re.search(rf"{name[:12]}.*\b{count:,}\b", shown), name


def test_rejections_counts_are_the_summary_s_with_the_claims_behind_them(
    processor: ClaimProcessor,
) -> None:
    def rejected(*lines: dict[str, Any], payer: str = "PAYER-A", claim: str = "C") -> Any:
        document = event_document(*lines, payer_id=payer)
        document["claim"]["claim_id"] = claim
        return orjson.loads(processor.process(orjson.dumps(document), Source(), NOW).value)

    seen: list[Seen] = [
        (rejected(line("92924"), claim="C-1"), NOW - timedelta(minutes=5)),
        (rejected(line("92924"), payer="PAYER-B", claim="C-2"), NOW - timedelta(minutes=1)),
        (rejected(line("92924"), claim="C-OLD"), NOW - timedelta(minutes=90)),
        ({"event_type": "claim.dead_letter", "error_kind": "undecodable", "errors": [{}],
          "source": {}}, NOW - timedelta(minutes=2)),
    ]  # fmt: skip
    source = FakeRejections(seen)
    app = create_app(processor, settings(), clock=lambda: NOW, rejections=source)
    with TestClient(app) as client:
        view = client.get("/v1/rejections?minutes=60", headers=AUTH).json()
    assert source.asked == [NOW - timedelta(minutes=60)]
    summary = RejectionSummary(timedelta(minutes=60))
    for document, at in sorted(seen, key=lambda s: s[1]):  # the order it needs
        summary.add(document, at)
    text = summary.render(NOW)
    assert f"rejected claims: {view['rejected']}   dead letters: {view['dead_letters']}" in text
    assert view["rejected"] == 2
    for group in view["by_edit"] + view["by_provider"]:
        assert re.search(rf"\b{group['count']}\s+{re.escape(group['key'])}\b", text)
        assert sorted(c["claim_id"] for c in group["claims"]) == ["C-1", "C-2"]
    assert all(f["edit_id"] for c in view["by_edit"][0]["claims"] for f in c["findings"])


def test_the_pages_need_no_token_and_forbid_outside_scripts(client: TestClient) -> None:
    for path in ("/", "/rejections"):
        page = client.get(path)
        assert page.status_code == 200 and "<form" in page.text
        assert "script-src" not in page.headers["content-security-policy"]
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
    names = [s["name"] for s in client.get("/samples.json").json()]
    assert len(names) == len(SAMPLES.read_bytes().splitlines())
    assert client.get("/static/checker.js").status_code == 200


def test_the_command_runs_uvicorn_on_loopback_without_its_access_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    from service.entrypoints import api

    ran: dict[str, Any] = {}
    monkeypatch.setenv("CLAIM_EDIT_API_TOKENS", TOKEN)
    monkeypatch.delenv("CLAIM_EDIT_API_HOST", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(options))
    # the command configures the process's logging; the other tests keep theirs
    monkeypatch.setattr(api, "configure_logging", lambda level: None)
    assert main(["api"]) == 0
    assert ran["host"] == "127.0.0.1" and ran["access_log"] is False
    assert ran["ssl_certfile"] is None


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CLAIM_EDIT_API_TOKENS": TOKEN, "CLAIM_EDIT_API_RATE_LIMIT": "lots"},
         "CLAIM_EDIT_API_RATE_LIMIT"),
        ({"CLAIM_EDIT_API_TOKENS": TOKEN, "CLAIM_EDIT_API_SSL_CERTFILE": "/nonexistent.pem"},
         "CLAIM_EDIT_API_SSL_CERTFILE"),
        ({"CLAIM_EDIT_API_TOKENS": "short"}, "CLAIM_EDIT_API_TOKENS"),
        ({}, "CLAIM_EDIT_API_TOKENS"),
    ],
)  # fmt: skip
def test_a_bad_api_setting_stops_the_command_with_exit_2_naming_it(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    named: str,
) -> None:
    from service.entrypoints import api

    monkeypatch.setattr(api, "configure_logging", lambda level: None)
    monkeypatch.delenv("CLAIM_EDIT_API_TOKENS", raising=False)
    monkeypatch.delenv("CLAIM_EDIT_API_TOKENS_FILE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["api"]) == 2
    assert named in capsys.readouterr().err
