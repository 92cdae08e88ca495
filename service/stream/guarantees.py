"""The processing guarantee as a strategy of the one loop (loop.py): how a slice's outputs
and its consumed offsets become durable.

- AtLeastOnce: send every output, wait for every acknowledgement, then commit the offsets.
  A crash in between repeats outputs (same deterministic event_id), never loses one.
- ExactlyOnce: outputs and offsets in one Kafka transaction. A slice whose partitions were
  revoked meanwhile is aborted, never committed: the new owner redoes it.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from aiokafka import TopicPartition
from aiokafka.errors import CommitFailedError, IllegalOperation, KafkaError, ProducerFenced

from service.app.records import OutputRecord
from service.observability.logging import get_logger
from service.stream.ports import Consumer, Editor, Producer
from service.stream.retrying import RefusedRecordsError, RetryPolicy
from service.stream.sending import (
    TransientPublishError,
    UnpublishableError,
    is_permanent,
    refusal_text,
    send_each,
)

log = get_logger("claim_edit.stream")

Offsets = Mapping[TopicPartition, int]

# Once fenced, aiokafka's sender stops: the fencing surfaces as ProducerFenced on an awaited
# send, or as IllegalOperation ("not in transaction") on the next one.
FENCED = (ProducerFenced, IllegalOperation)


class Guarantee(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(
        self, outputs: Sequence[OutputRecord], offsets: Offsets, owned: Callable[[], bool]
    ) -> bool:
        """Make the outputs and offsets durable; False if the work was abandoned (stopping,
        or its partitions revoked) and nothing was committed."""


Replacement = tuple[OutputRecord, OutputRecord]
"""(an output refused for good, the smaller form that replaces it alone)."""


def sort_results(
    editor: Editor,
    outputs: Sequence[OutputRecord],
    results: Sequence[BaseException | None],
) -> tuple[list[OutputRecord], list[Replacement]]:
    """(to retry after a backoff, replacements to send at once) from one send's results."""
    retry: list[OutputRecord] = []
    replacements: list[Replacement] = []
    for output, error in zip(outputs, results, strict=True):
        if error is None:
            continue
        if not is_permanent(error):
            retry.append(output)
            continue
        replacements.append((output, fallback_or_stop(editor, output, error)))
    return retry, replacements


def fallback_or_stop(editor: Editor, output: OutputRecord, error: BaseException) -> OutputRecord:
    """The smaller form of a refused output; UnpublishableError when none is left."""
    replacement = editor.fallback(output, refusal_text(error))
    if replacement is None:
        raise UnpublishableError(
            f"the broker refused even the bounded dead letter on {output.topic} "
            f"({refusal_text(error)}); check the dead-letter topic's max.message.bytes "
            "and the service's write permission on it"
        )
    return replacement


class AtLeastOnce:
    def __init__(
        self,
        consumer: Consumer,
        producer: Producer,
        editor: Editor,
        retry: RetryPolicy,
        publish_timeout: float,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.editor = editor
        self.retry = retry
        self.publish_timeout = publish_timeout

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def deliver(
        self, outputs: Sequence[OutputRecord], offsets: Offsets, owned: Callable[[], bool]
    ) -> bool:
        pending = list(outputs)
        try:
            async for attempt in self.retry.attempts():
                with attempt:
                    # Only what is not yet acknowledged is sent again.
                    results = await send_each(self.producer, pending, self.publish_timeout)
                    retry, replacements = sort_results(self.editor, pending, results)
                    pending = retry + [replacement for _, replacement in replacements]
                    if retry:
                        raise TransientPublishError(f"{len(retry)} outputs not acknowledged")
                    if replacements:
                        raise RefusedRecordsError(f"{len(replacements)} outputs replaced")
        except TransientPublishError:
            return False  # stopping while the brokers were away: redelivered on restart
        try:
            await self.consumer.commit(dict(offsets))
        except (CommitFailedError, KafkaError) as error:
            # Outputs are out; the next owner repeats them with the same event ids.
            log.warning("offsets not committed", error=type(error).__name__)
        return True


class ExactlyOnce:
    def __init__(
        self,
        producer_factory: Callable[[], Producer],
        group_id: str,
        editor: Editor,
        retry: RetryPolicy,
        publish_timeout: float,
    ) -> None:
        self.producer_factory = producer_factory
        self.group_id = group_id
        self.editor = editor
        self.retry = retry
        self.publish_timeout = publish_timeout
        self.producer: Producer | None = None

    async def start(self) -> None:
        await self._ready_producer()

    async def stop(self) -> None:
        if self.producer is not None:
            await _quietly_stop(self.producer)
            self.producer = None

    async def _ready_producer(self) -> Producer:
        if self.producer is None:
            producer = self.producer_factory()
            try:
                await producer.start()  # init_transactions: fences an older epoch of this id
            except KafkaError:
                await _quietly_stop(producer)
                raise
            self.producer = producer
        return self.producer

    async def deliver(
        self, outputs: Sequence[OutputRecord], offsets: Offsets, owned: Callable[[], bool]
    ) -> bool:
        current = list(outputs)
        try:
            async for attempt in self.retry.attempts():
                with attempt:
                    replaced = await self._transaction(current, offsets, owned)
                    if replaced is not None:
                        current = replaced
                        raise RefusedRecordsError(f"{len(current)} outputs, some replaced")
        except TransientPublishError:
            return False
        committed = owned()
        if not committed:
            log.info("slice abandoned: its partitions were revoked before it committed")
        return committed

    async def _transaction(
        self, outputs: list[OutputRecord], offsets: Offsets, owned: Callable[[], bool]
    ) -> list[OutputRecord] | None:
        """One transaction: None when it committed (or was abandoned for a revocation);
        the outputs to try again with when some were refused for good and replaced."""
        try:
            producer = await self._ready_producer()
        except KafkaError as error:
            raise TransientPublishError(type(error).__name__) from error
        try:
            async with producer.transaction():
                results = await send_each(producer, outputs, self.publish_timeout)
                fenced = _fencing(results)
                if fenced is not None:
                    raise fenced
                retry, replacements = sort_results(self.editor, outputs, results)
                if replacements:
                    raise _ReplacedError(_swap(outputs, replacements))  # raising aborts
                if retry:
                    raise TransientPublishError(f"{len(retry)} outputs not acknowledged")
                if owned():
                    await producer.send_offsets_to_transaction(dict(offsets), self.group_id)
                if not owned():
                    raise _AbandonedError  # aborts: the partitions' new owner redoes this slice
            return None
        except _AbandonedError:
            return None
        except _ReplacedError as replace:
            # A refusal can leave aiokafka's transaction state unusable (a partition that
            # could not join the transaction): go on with a fresh producer.
            await self._discard(producer)
            return replace.outputs
        except FENCED:
            log.error("fenced: another instance took over this transactional id")
            raise
        except TransientPublishError:
            raise
        except (KafkaError, TimeoutError, AssertionError) as error:
            # AssertionError: aiokafka's transaction manager refusing a state transition
            await self._discard(producer)
            if is_permanent(error):  # e.g. a topic the transaction may not write to
                topics = _refused_topics(error)
                refused = [o for o in outputs if o.topic in topics or not topics]
                return _swap(
                    outputs, [(o, fallback_or_stop(self.editor, o, error)) for o in refused]
                )
            raise TransientPublishError(type(error).__name__) from error

    async def _discard(self, producer: Producer) -> None:
        await _quietly_stop(producer)
        if self.producer is producer:
            self.producer = None


def _fencing(results: Sequence[BaseException | None]) -> BaseException | None:
    """The error that says another instance took over this transactional id, if any.

    IllegalOperation ("not in transaction") also follows a refusal that made the
    transaction abortable while the slice was still being sent; only without such a
    refusal does it mean fencing."""
    errors: list[BaseException] = [e for e in results if e is not None]
    fenced = [e for e in errors if isinstance(e, ProducerFenced)]
    if not fenced and not any(is_permanent(e) for e in errors):
        fenced = [e for e in errors if isinstance(e, IllegalOperation)]
    return fenced[0] if fenced else None


class _AbandonedError(Exception):
    """The slice's partitions were revoked: abort its transaction."""


class _ReplacedError(Exception):
    """Some outputs were refused for good: abort, then try again with their replacements."""

    def __init__(self, outputs: list[OutputRecord]) -> None:
        super().__init__(f"{len(outputs)} outputs")
        self.outputs = outputs


def _swap(outputs: list[OutputRecord], replacements: list[Replacement]) -> list[OutputRecord]:
    """The outputs with each refused one swapped for its replacement, in order. By the
    output's identity, not its input record's: an 837 yields many outputs from one record,
    and one refused among them must not replace the others."""
    by_output = {id(refused): replacement for refused, replacement in replacements}
    return [by_output.get(id(o), o) for o in outputs]


def _refused_topics(error: BaseException) -> set[str]:
    """aiokafka's TopicAuthorizationFailedError from a transaction names its topics."""
    for argument in error.args:
        if isinstance(argument, (set, frozenset, list, tuple)):
            return {str(topic) for topic in argument}
    return set()


async def _quietly_stop(producer: Producer) -> None:
    try:
        await producer.stop()
    except Exception as error:  # closing a broken client must not mask why it broke
        log.debug("close failed", error=type(error).__name__)
