"""Send output records and sort what went wrong: retry later, or refused for good.

A transient failure (broker away, leader moving, timeout) is retried with backoff. A
permanent one is a refusal of that record whatever we do: too large for the request or the
topic, not authorized, invalid. Those records are replaced by a smaller form (the editor's
`fallback`) and sent again; the rest of the batch is not re-sent once acknowledged.
"""

import asyncio
from collections.abc import Sequence

from aiokafka.errors import (
    CorruptRecordException,
    InvalidTimestampError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    PolicyViolationError,
    RecordListTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    UnsupportedForMessageFormatError,
)

from service.app.records import OutputRecord
from service.stream.ports import Producer

PERMANENT: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    TopicAuthorizationFailedError,
    InvalidTopicError,
    CorruptRecordException,
    PolicyViolationError,
    UnsupportedForMessageFormatError,
    InvalidTimestampError,
)


class TransientPublishError(Exception):
    """Some outputs were not acknowledged; they are to be sent again after a backoff."""


class UnpublishableError(Exception):
    """Even the bounded dead letter of a record was refused for good: the service stops
    rather than loop (an operator must fix the dead-letter topic or its ACL)."""


def is_permanent(error: BaseException) -> bool:
    return isinstance(error, PERMANENT)


def refusal_text(error: BaseException) -> str:
    """The refusal's kind, for dead letters and logs: the class name, never its message
    (a broker message may quote the record)."""
    return type(error).__name__


async def send_each(
    producer: Producer, records: Sequence[OutputRecord], timeout: float
) -> list[BaseException | None]:
    """Send every record; one entry per record: None once acknowledged, else its error.

    A record not acknowledged within `timeout` seconds counts as a transient failure."""
    results: list[BaseException | None] = [None] * len(records)
    waiting: dict[asyncio.Future[object], int] = {}
    for index, record in enumerate(records):
        try:
            future = await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
        except Exception as error:  # refused before it left the client
            # (aiokafka also asserts here when its transaction turned abortable meanwhile)
            results[index] = error
        else:
            waiting[future] = index
    if waiting:
        done, pending = await asyncio.wait(waiting, timeout=timeout)
        for future in done:
            results[waiting[future]] = future.exception()
        for future in pending:
            results[waiting[future]] = TimeoutError("not acknowledged in time")
    return results
