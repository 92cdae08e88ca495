"""The API's one seam to the engine: an event's outcome, an interchange's answer.

Everything the HTTP layer runs goes through these two functions, the very use cases
`check` and `serve` run (service/app/edit_event.py, service/app/edit_interchange.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from contracts.vocabulary import EventType
from service.app.edit_event import ClaimProcessor, Source
from service.app.edit_interchange import edit_interchange
from service.app.records import InputRecord
from service.app.results import Processed

__all__ = ["REQUEST_SOURCE", "Answered", "ClaimProcessor", "check_event", "interchange_checker"]

# Where a request's event is said to come from (a dead letter's `source.file`): one event,
# its first line, as `claim-edit check` would name a file holding it.
REQUEST_SOURCE = Source(file="<request>", line=1)
X12_TOPIC = "api.x12"  # a name only: nothing is read from or written to Kafka
ANSWER_MAX_BYTES = 1_000_000  # as the 277CA topic's default: a larger 277CA comes in parts


def check_event(processor: ClaimProcessor, raw: bytes, now: datetime) -> Processed:
    """One ClaimSubmitted's bytes → its outcome event, as `claim-edit check` gives it."""
    return processor.process(raw, REQUEST_SOURCE, now)


@dataclass(frozen=True, slots=True)
class Answered:
    """An interchange's answers (277CA or 999 documents, in order), its claims' outcome
    events, and its dead letters (bytes the stream would dead-letter)."""

    answers: tuple[tuple[str, bytes], ...]  # (event type, X12 text)
    outcomes: tuple[bytes, ...]
    dead_letters: tuple[bytes, ...]


def interchange_checker(
    processor: ClaimProcessor, clock: Callable[[], datetime]
) -> Callable[[bytes], Answered]:
    """An 837's bytes → what the X12 lane of `serve` would publish for it."""

    def check(body: bytes) -> Answered:
        record = InputRecord(X12_TOPIC, 0, 0, None, body)
        results = [
            y.result
            for y in edit_interchange(processor, record, clock(), answer_max_bytes=ANSWER_MAX_BYTES)
        ]
        return Answered(
            tuple((r.event_type.value, r.value) for r in results if r.is_answer),
            tuple(
                r.value for r in results if r.event_type in (EventType.ENRICHED, EventType.REJECTED)
            ),
            tuple(r.value for r in results if r.event_type is EventType.DEAD_LETTER),
        )

    return check
