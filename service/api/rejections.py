"""The rejections page's data: committed rejections and dead letters over a window.

`RejectionSource` is the port (a fake in tests, Kafka in `claim-edit api`); the view counts
with service/rejection_summary.py, so its numbers are the ones `claim-edit rejections`
prints, and adds the claim ids and findings behind each count.
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson
from aiokafka import AIOKafkaConsumer

from service.adapters.broker_wait import start_within
from service.adapters.kafka_security import aiokafka_options
from service.config import KafkaSettings, ServiceSettings
from service.rejection_summary import BLOCKING, RejectionSummary

Seen = tuple[dict[str, Any], datetime]  # a document and when it was written


class RejectionSource(Protocol):
    async def since(self, start: datetime) -> Sequence[Seen]:
        """Every committed rejection and dead letter written from `start` to now."""
        ...


class KafkaRejections:
    """claims.rejected and the DLQ, read_committed, from the offsets at `start` to their ends
    (what `claim-edit rejections --once` reads)."""

    def __init__(self, kafka: KafkaSettings, settings: ServiceSettings) -> None:
        self.kafka = kafka
        self.settings = settings

    async def since(self, start: datetime) -> Sequence[Seen]:
        from service.entrypoints.rejections import _assign_from, _position

        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
        consumer = AIOKafkaConsumer(
            **aiokafka_options(self.kafka),
            enable_auto_commit=False,
            isolation_level="read_committed",
            client_id=f"{self.settings.client_id}-api-rejections",
        )
        await start_within(consumer, self.kafka.bootstrap_servers, seconds=5.0)
        found: list[Seen] = []
        try:
            await consumer._client.force_metadata_update()
            topics = [self.settings.topic_rejected, self.settings.topic_dlq]
            await _assign_from(consumer, topics, start)
            ends = await consumer.end_offsets(list(consumer.assignment()))
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=2000)
                for records in batches.values():
                    for record in records:
                        try:
                            document = orjson.loads(record.value or b"")
                        except orjson.JSONDecodeError:
                            continue
                        if isinstance(document, dict):
                            at = datetime.fromtimestamp(record.timestamp / 1000, start.tzinfo)
                            found.append((document, at))
                positions = [await _position(consumer, tp) >= end for tp, end in ends.items()]
                if all(positions):
                    return found
        finally:
            await consumer.stop()


def _claim(document: dict[str, Any]) -> dict[str, Any]:
    claim = document.get("claim") or {}
    return {
        "claim_id": str(document.get("claim_id", "?")),
        "payer_id": str((claim.get("payer") or {}).get("payer_id", "?")),
        "rendering_npi": str((claim.get("rendering_provider") or {}).get("npi", "?")),
        "findings": [
            {
                "edit_id": f.get("edit_id"),
                "line_numbers": f.get("line_numbers", []),
                "message": f.get("message"),
                "carc": f.get("carc"),
                "rarc": f.get("rarc"),
                "fix": f.get("fix"),
            }
            for f in document.get("findings", [])
            if f.get("disposition") in BLOCKING
        ],
    }


def rejections_view(seen: Sequence[Seen], window: timedelta, now: datetime) -> dict[str, Any]:
    """Counts by edit, provider, payer and dead-letter kind (RejectionSummary's), each with
    the claims behind it."""
    summary = RejectionSummary(window)
    # oldest first, as the summary expects: two topics and their partitions interleave
    seen = sorted(seen, key=lambda s: s[1])
    for document, at in seen:
        summary.add(document, at)
    tallies = summary.tallies(now)
    start = now - window
    rejected = [
        _claim(d) for d, at in seen if at >= start and d.get("event_type") == "claim.rejected"
    ]
    by_edit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim in rejected:
        for edit_id in dict.fromkeys(f["edit_id"] for f in claim["findings"]):
            by_edit[str(edit_id)].append(claim)
        by_provider[claim["rendering_npi"]].append(claim)

    def grouped(counts: dict[str, int], claims: dict[str, list[dict[str, Any]]]) -> list[Any]:
        return [
            {"key": key, "count": count, "claims": claims.get(key, [])}
            for key, count in counts.items()
        ]

    return {
        "window_minutes": window.total_seconds() / 60,
        "to": now.isoformat(),
        "rejected": tallies["rejected"],
        "dead_letters": sum(tallies["dead_letters"].values()),
        "by_edit": grouped(tallies["by_edit"], by_edit),
        "by_provider": grouped(tallies["by_provider"], by_provider),
        "by_payer": [{"key": k, "count": n} for k, n in tallies["by_payer"].items()],
        "dead_letter_kinds": [{"key": k, "count": n} for k, n in tallies["dead_letters"].items()],
    }
