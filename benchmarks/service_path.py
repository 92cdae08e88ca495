"""`python -m benchmarks.service_path`: what the service pays per claim beside the engine.

Times, in turns over the same batches: the processor alone (bytes in, output bytes out, as
`bench-engine`), the editor with tracing off (records in, output records with the contract's
headers out: what `serve` runs between fetch and send), and the editor with tracing on
(every input carries a `traceparent`; spans go to an in-memory exporter). Prints µs per
claim for each and the differences: the editor's own cost, and what tracing adds when on.
"""

import argparse
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from benchmarks.corpus import corpus
from benchmarks.engine import interleaved
from service.app.edit_event import Source
from service.app.edit_records import RecordEditor
from service.app.records import InputRecord
from service.app.routing import Topics
from service.bootstrap import build_processor
from service.config import ServiceSettings
from service.entrypoints.serve import settle_garbage_collection
from service.observability.logging import configure_logging
from service.observability.metrics import ServiceMetrics
from service.observability.tracing import Tracing

TOPICS = Topics("claims.enriched", "claims.rejected", "claims.dead-letter")
TRACEPARENT = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def traced() -> Tracing:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    return Tracing(provider.get_tracer("bench"))


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--claims", type=int, default=10_000)
    options.add_argument("--rounds", type=int, default=3)
    args = options.parse_args()
    configure_logging("INFO")  # as `serve` runs by default: per-claim lines are DEBUG
    processor = build_processor()
    settle_garbage_collection()
    now = datetime.now(UTC)
    plain = RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: now)
    tracing = RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: now, tracing=traced())
    records = [
        InputRecord(
            "claims.submitted",
            offset % 6,
            offset,
            document["claim"]["claim_id"].encode(),
            orjson.dumps(document),
            (("content-type", b"application/json"), ("traceparent", TRACEPARENT)),
        )
        for offset, document in enumerate(corpus(args.claims))
    ]
    size = ServiceSettings.model_fields["batch_max_records"].default
    batches = [records[start : start + size] for start in range(0, len(records), size)]
    source = Source(topic="claims.submitted", partition=0, offset=0)
    variants: dict[str, Callable[[list[InputRecord]], object]] = {
        "processor": lambda batch: processor.process_batch([(r.value, source) for r in batch], now),
        "editor, tracing off": plain.edit,
        "editor, tracing on": tracing.edit,
    }
    seconds = interleaved(args.rounds, batches, variants)
    per_claim = {name: spent / len(records) * 1e6 for name, spent in seconds.items()}
    for name, micros in per_claim.items():
        print(f"{name}: {micros:.1f} us/claim")
    print(
        f"service path: editor adds {per_claim['editor, tracing off'] - per_claim['processor']:.1f}"
        f" us/claim to the processor; tracing on adds "
        f"{per_claim['editor, tracing on'] - per_claim['editor, tracing off']:.1f} us/claim"
    )


if __name__ == "__main__":
    main()
