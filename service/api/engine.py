"""The API's one seam to the engine: an event's outcome, an interchange's answer.

Everything the HTTP layer runs goes through these two functions, and the processor's type
comes from here too, so the modules they call (service/processing.py, the stream's batch
editor) can move without touching the routes: only the imports below change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from service.observability.metrics import ServiceMetrics
from service.processing import ClaimProcessor, Processed, Source
from service.stream.editing import BatchEditor, Topics
from service.stream.records import InputRecord

__all__ = ["REQUEST_SOURCE", "Answered", "ClaimProcessor", "check_event", "interchange_checker"]

# Where a request's event is said to come from (a dead letter's `source.file`): one event,
# its first line, as `claim-edit check` would name a file holding it.
REQUEST_SOURCE = Source(file="<request>", line=1)
X12_TOPIC = "api.x12"  # a name only: nothing is read from or written to Kafka
TOPICS = Topics("claims.enriched", "claims.rejected", "claims.dlq", X12_TOPIC, "claims.277ca")


def check_event(processor: ClaimProcessor, raw: bytes, now: datetime) -> Processed:
    """One ClaimSubmitted's bytes → its outcome event, as `claim-edit check` gives it."""
    return processor.process(raw, REQUEST_SOURCE, now)


@dataclass(frozen=True, slots=True)
class Answered:
    """An interchange's answers (277CA or 999 documents, in order), its claims' outcome
    events, and its dead letters (bytes the stream would dead-letter)."""

    answers: tuple[tuple[str, bytes], ...]  # (event-type header, X12 text)
    outcomes: tuple[bytes, ...]
    dead_letters: tuple[bytes, ...]


def interchange_checker(
    processor: ClaimProcessor, clock: Callable[[], datetime]
) -> Callable[[bytes], Answered]:
    """An 837's bytes → what the X12 lane of `serve` would publish for it."""
    editor = BatchEditor(
        processor, TOPICS, ServiceMetrics(), clock=clock, source="urn:claim-edit:api"
    )

    def check(body: bytes) -> Answered:
        outputs = editor.edit([InputRecord(X12_TOPIC, 0, 0, None, body)])
        answers = tuple(
            (dict(o.headers).get("event-type", b"").decode(), o.value)
            for o in outputs
            if o.topic == TOPICS.acknowledgements
        )
        return Answered(
            answers,
            tuple(o.value for o in outputs if o.topic in (TOPICS.enriched, TOPICS.rejected)),
            tuple(o.value for o in outputs if o.topic == TOPICS.dlq),
        )

    return check
