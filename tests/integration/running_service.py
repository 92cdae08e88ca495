"""Start the service in the test's event loop, on topics of its own."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from service.adapters.reference_files import load_reference
from service.config import KafkaSettings, ServiceSettings
from service.domain.policy import Policy
from service.entrypoints.kafka_app import ClaimEditService
from service.processing import ClaimProcessor
from tests.integration.kafka_helpers import create_service_topics

PROCESSOR = ClaimProcessor(load_reference(), Policy())


@asynccontextmanager
async def running_service(
    bootstrap: str, settings: ServiceSettings
) -> AsyncIterator[ClaimEditService]:
    await create_service_topics(bootstrap, settings)
    service = ClaimEditService(PROCESSOR, KafkaSettings(bootstrap_servers=bootstrap), settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
