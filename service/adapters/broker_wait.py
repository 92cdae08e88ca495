"""Start a Kafka client for a command a person runs, or say in one line that no broker
answered: which address was tried, and for how long."""

from typing import Any

from aiokafka.errors import KafkaConnectionError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

EXIT_NO_BROKER = 4


class NoBrokerError(Exception):
    """No broker answered at the configured address within the wait."""


async def start_within(client: Any, bootstrap_servers: str, seconds: float = 10.0) -> None:
    """`await client.start()`, retried each second while no broker answers."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(KafkaConnectionError),
            stop=stop_after_delay(seconds),
            wait=wait_fixed(1.0),
            reraise=True,
        ):
            with attempt:
                await client.start()
    except KafkaConnectionError as error:
        close = getattr(client, "stop", None) or client.close
        await close()
        raise NoBrokerError(
            f"no Kafka broker answered at {bootstrap_servers} within {seconds:.0f}s "
            "(set KAFKA_BOOTSTRAP_SERVERS)"
        ) from error
