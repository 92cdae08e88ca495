"""`python -m benchmarks.x12_path`: what a claim costs when it arrives in an X12 837.

The same claims, in turns: as JSON events (one record each, the JSON topic's path) and as
one 837P interchange per `--claims` claims (the X12 topic's path: pyx12 validation, the
837 → ClaimSubmitted mapping, the same processor, the 277CA). Prints ms per interchange,
µs per claim for both paths and their ratio, and where an interchange's time goes.
"""

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from benchmarks.engine import interleaved
from service.adapters.x12.ack_277ca import acknowledgement
from service.adapters.x12.claims_837 import Converted, claim_events
from service.adapters.x12.interchange import read_interchange
from service.app.edit_event import Source
from service.app.edit_records import RecordEditor
from service.app.records import InputRecord
from service.app.routing import Topics
from service.bootstrap import build_processor
from service.entrypoints.serve import settle_garbage_collection
from service.observability.logging import configure_logging
from service.observability.metrics import ServiceMetrics
from tests.x12_837 import interchange_837, numbered_sample_claims

TOPICS = Topics("claims.enriched", "claims.rejected", "claims.dlq", "claims.x12", "claims.277ca")


def events(count: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"bench-{index}",
            "event_type": "claim.submitted",
            "schema_version": 1,
            "occurred_at": "2026-03-02T10:15:00Z",
            "claim": claim,
        }
        for index, claim in enumerate(numbered_sample_claims(count, "BENCH"))
    ]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--claims", type=int, default=100, help="claims per interchange")
    options.add_argument("--interchanges", type=int, default=5)
    options.add_argument("--rounds", type=int, default=3)
    args = options.parse_args()
    configure_logging("INFO")
    processor = build_processor()
    settle_garbage_collection()
    now = datetime.now(UTC)
    editor = RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: now)
    documents = events(args.claims)
    text = interchange_837([d["claim"] for d in documents], "837P")
    json_records = [
        InputRecord("claims.submitted", 0, i, str(i).encode(), orjson.dumps(d))
        for i, d in enumerate(documents)
    ]
    x12_record = InputRecord("claims.x12", 0, 0, b"upload", text.encode())
    chunks = [[0]] * args.interchanges
    seconds = interleaved(
        args.rounds,
        chunks,
        {
            "JSON events": lambda _: editor.edit(json_records),
            "837P interchange": lambda _: editor.edit([x12_record]),
        },
    )
    claims_sent = args.claims * args.interchanges
    per_claim = {name: spent / claims_sent * 1e6 for name, spent in seconds.items()}
    print(
        f"{args.claims} claims per interchange ({len(text)} bytes), {args.interchanges} x, "
        f"best of {args.rounds}"
    )
    for name, micros in per_claim.items():
        print(
            f"{name}: {micros:,.0f} us/claim, {micros * args.claims / 1000:,.1f} ms per "
            f"{args.claims} claims"
        )
    print(f"X12 path / JSON path: {per_claim['837P interchange'] / per_claim['JSON events']:.1f} x")
    started = time.perf_counter()
    interchange = read_interchange(text)
    validated = time.perf_counter()
    results = claim_events(interchange)
    converted = time.perf_counter()
    outcomes = [
        orjson.loads(p.value)
        for p in processor.process_batch(
            [(orjson.dumps(r.event), Source()) for r in results if isinstance(r, Converted)], now
        )
    ]
    edited = time.perf_counter()
    acknowledgement(outcomes, 1, now)
    answered = time.perf_counter()
    spent = {
        "pyx12 validation": validated - started,
        "837 → events": converted - validated,
        "edits": edited - converted,
        "277CA": answered - edited,
    }
    print("one interchange: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in spent.items()))


if __name__ == "__main__":
    main()
