"""Records as the loop sees them: bytes in, bytes out, nothing decoded on the way in.

Kafka allows any header value (null, binary, megabytes), any key and any value; none of
them may stop a record. The loop never decodes a header except the one the contract copies
(`correlation-id`), and copies that one only when it is short, valid UTF-8.
"""

from dataclasses import dataclass
from typing import Any, Literal

from contracts.vocabulary import EventType
from service.app.edit_event import Source

Header = tuple[str, bytes | None]
MAX_COPIED_HEADER_BYTES = 256


@dataclass(frozen=True, slots=True)
class InputRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[Header, ...] = ()

    @classmethod
    def of(cls, record: Any) -> "InputRecord":
        """From an aiokafka ConsumerRecord: a null value reads as no bytes (a dead letter)."""
        return cls(
            record.topic,
            record.partition,
            record.offset,
            record.key,
            record.value or b"",
            tuple(record.headers or ()),
        )

    @property
    def source(self) -> Source:
        return Source(self.topic, self.partition, self.offset, self.key)

    def copyable_header(self, name: str) -> str | None:
        """The last header called `name` (as Java's lastHeader), if it is non-null, valid
        UTF-8 and at most MAX_COPIED_HEADER_BYTES long; otherwise None."""
        for key, value in reversed(self.headers):
            if key.lower() != name:
                continue
            if value is None or len(value) > MAX_COPIED_HEADER_BYTES:
                return None
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return None


# How far an output has fallen back after the broker refused it for good: the outcome
# itself, then a dead letter with the original bytes, then one with only their size and hash.
Form = Literal["outcome", "carried", "bounded"]


@dataclass(frozen=True, slots=True)
class OutputRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    origin: InputRecord
    """The record it came from, with only the bytes this output is about (its value) and
    their key: what a dead letter replacing it carries."""
    kind: EventType
    form: Form = "outcome"
