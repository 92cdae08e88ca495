"""Start the service in the test's event loop, on topics of its own."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.adapters.reference_files import load_reference
from service.app.edit_event import ClaimProcessor
from service.bootstrap import build_service
from service.config import KafkaSettings, ServiceSettings
from service.domain.policy import Policy
from service.stream.service import StreamService, running
from tests.integration.kafka_helpers import create_service_topics

PROCESSOR = ClaimProcessor(load_reference(), Policy())


@asynccontextmanager
async def running_service(
    bootstrap: str, settings: ServiceSettings
) -> AsyncIterator[StreamService]:
    await create_service_topics(bootstrap, settings)
    service = build_service(KafkaSettings(bootstrap_servers=bootstrap), settings, PROCESSOR)
    async with running(service):
        yield service
