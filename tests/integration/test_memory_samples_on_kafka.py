"""The claim-memory worked samples through Kafka: samples/memory-claims.jsonl sent in order to
`claim-edit serve` with a claim memory (CLAIM_EDIT_MEMORY_URL) give the outcomes
samples/memory-expected.jsonl documents, as tests/unit/test_worked_memory_samples.py shows
for the domain with a plain list.

The run's claim ids, member ids and event ids get a token of their own, so runs against one
database (scripts/with-postgres keeps its data) do not see each other's claims."""

import json
import signal
import uuid
from pathlib import Path
from typing import Any

from tests.integration.kafka_helpers import (
    collect,
    create_service_topics,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.service_process import ServiceProcess

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _samples_of_this_run(token: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    events = [
        json.loads(t) for t in (SAMPLES / "memory-claims.jsonl").read_text().splitlines() if t
    ]
    cases = [
        json.loads(t) for t in (SAMPLES / "memory-expected.jsonl").read_text().splitlines() if t
    ]
    claim_ids = {e["claim"]["claim_id"] for e in events}
    for event in events:
        claim = event["claim"]
        event["event_id"] += f"-{token}"
        claim["claim_id"] += f"-{token}"
        claim["patient"]["member_id"] += f"-{token}"
        if claim.get("payer_claim_control_number") in claim_ids:
            claim["payer_claim_control_number"] += f"-{token}"
    for case in cases:
        case["event_id"] += f"-{token}"
        if "names_claim" in case["expect"]:
            case["expect"]["names_claim"] += f"-{token}"
    return events, cases


async def test_the_worked_memory_samples_through_kafka_give_their_documented_outcomes(
    kafka_bootstrap: str, memory_url: str, tmp_path: Path
) -> None:
    events, cases = _samples_of_this_run(uuid.uuid4().hex[:8])
    settings = service_settings(unique("memsamples"))
    await create_service_topics(bootstrap=kafka_bootstrap, settings=settings)
    service = ServiceProcess(
        kafka_bootstrap,
        settings,
        tmp_path / "service.log",
        CLAIM_EDIT_MEMORY_URL=memory_url,
        CLAIM_EDIT_MEMORY_SECRET="memory-samples-secret",
        CLAIM_EDIT_LOG_LEVEL="WARNING",
    ).start()
    try:
        service.wait_ready()
        # one key: one partition, so the claims are edited in the file's order
        await produce(
            kafka_bootstrap,
            settings.topic_submitted,
            [(b"memory-samples", json.dumps(e).encode(), []) for e in events],
        )
        records = await collect(
            kafka_bootstrap, output_topics(settings), expected=len(events), timeout=90
        )
    finally:
        service.signal(signal.SIGTERM)
        service.wait()
    outcomes = {
        document["source_event_id"]: document
        for document in (json.loads(r.value or b"{}") for r in records)
    }
    assert sorted(outcomes) == sorted(case["event_id"] for case in cases)
    for case in cases:
        outcome, expect = outcomes[case["event_id"]], case["expect"]
        assert outcome["event_type"] == expect["event_type"], case["name"]
        history = {f["edit_id"] for f in outcome["findings"] if f["edit_id"].startswith("PCI-HIST")}
        assert history == set(expect.get("edit_ids", [])), case["name"]
        if "final_lines" in expect:
            final = [
                [line["procedure_code"], line["modifiers"]] for line in outcome["claim"]["lines"]
            ]
            assert final == expect["final_lines"], case["name"]
        shown = [
            {k: f[k] for k in ("edit_id", "disposition", "line_numbers", "carc", "rarc")}
            for f in outcome["findings"]
        ]
        for documented in expect.get("findings", []):
            assert documented in shown, case["name"]
        if "names_claim" in expect:
            (named,) = [f for f in outcome["findings"] if f["edit_id"] in expect["edit_ids"]]
            assert expect["names_claim"] in named["message"], case["name"]
            assert [e["key"] for e in named["evidence"]] == [expect["names_claim"]], case["name"]
