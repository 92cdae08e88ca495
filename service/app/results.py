"""What editing one input yields, typed: each output's kind, identity, key and bytes, and
what it is about. Routing (service/app/routing.py) gives it a topic and headers; the stream
sends it. Nothing here is Kafka's."""

from dataclasses import dataclass

from contracts.vocabulary import ErrorKind, EventType
from service.domain.outcome import Outcome


class EditingUnavailableError(Exception):
    """A store the edits were configured with (the claim memory) does not answer: nothing
    of the records was edited. The stream waits and edits them again; its text names the
    failure's type only, never a patient."""


@dataclass(frozen=True, slots=True)
class Processed:
    """One output event: a claim's outcome, a dead letter, or an X12 answer."""

    event_type: EventType
    event_id: str
    key: bytes | None
    value: bytes
    source_event_id: str | None = None
    """The input event's id (a claim), or the answered 837's ISA13 (an X12 answer)."""
    claim_id: str | None = None
    outcome: Outcome | None = None
    error_kind: ErrorKind | None = None
    errors: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0
    """The time this input took to read, edit and encode (its own phases, not a share)."""

    @property
    def is_answer(self) -> bool:
        """An X12 answer to a sender (277CA or 999), not a claim event."""
        return self.event_type in (EventType.ACK_277CA, EventType.ACK_999)


@dataclass(frozen=True, slots=True)
class Yielded:
    """One output of a record and what it is about: the bytes (a claim's event, its 837
    excerpt, a piece of the record, an interchange) and key a dead letter replacing it
    carries, should the broker refuse it for good, so that the replacement names that
    claim or piece alone and no other output of the record is replaced."""

    result: Processed
    about: bytes
    about_key: bytes | None
    answers_sender: bool = False
    """An answer to the X12 sender about a whole interchange or piece of the record (a 277CA
    part, a 999, a dead letter of an unreadable envelope or of stray bytes), not about one
    claim: counted in claim_edit_x12_answers_total."""
