"""`claim-edit serve`: the composition root of the Kafka service."""

import asyncio
import gc
import sys

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from service.adapters.csv_tables import ReferenceDataError
from service.adapters.policy_file import PolicyError
from service.bootstrap import build_processor
from service.config import EngineSettings, KafkaSettings, ServiceSettings, settings_error_text
from service.entrypoints.kafka_app import ClaimEditService
from service.entrypoints.transactional_app import TransactionalService
from service.observability.logging import configure_logging, get_logger
from service.processing import largest_output_bytes

EXIT_CONFIGURATION = 2


def load_settings() -> tuple[EngineSettings, KafkaSettings, ServiceSettings]:
    """All settings, or SystemExit(2) with one line naming each wrong variable."""
    loaded: list[BaseSettings] = []
    problems = []
    for model in (EngineSettings, KafkaSettings, ServiceSettings):
        try:
            loaded.append(model())
        except ValidationError as error:
            problems.append(settings_error_text(model, error))
    if problems:
        print("claim-edit: configuration error: " + "; ".join(problems), file=sys.stderr)
        raise SystemExit(EXIT_CONFIGURATION)
    engine, kafka, service = loaded
    assert isinstance(engine, EngineSettings)
    assert isinstance(kafka, KafkaSettings)
    assert isinstance(service, ServiceSettings)
    return engine, kafka, service


GC_THRESHOLD = 50_000


def settle_garbage_collection() -> None:
    """Once the reference tables are loaded: they live as long as the process, so they
    leave the collector's scans. A batch of outcomes stays alive until its outputs are
    acknowledged; with the default threshold (700) the collector rescans them again and
    again (measured: ~50 us a claim). The engine makes no reference cycles, so collections
    can be rare."""
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 100)


def build_service() -> ClaimEditService | TransactionalService:
    engine, kafka, settings = load_settings()
    configure_logging(engine.log_level)
    try:
        processor = build_processor(engine)
    except (ReferenceDataError, PolicyError) as error:
        print(f"claim-edit: configuration error: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIGURATION) from error
    settle_garbage_collection()
    if settings.processing_guarantee == "exactly_once":
        return TransactionalService(processor, kafka, settings)
    return ClaimEditService(processor, kafka, settings)


def run_service() -> int:
    service = build_service()
    get_logger("claim_edit.service").info(
        "starting",
        topic=service.settings.topic_submitted,
        group_id=service.settings.group_id,
        http_port=service.settings.http_port,
        reference=service.pipeline.processor.reference.fingerprint,
        # the dead-letter topic's max.message.bytes must be at least this
        largest_output_bytes=largest_output_bytes(service.pipeline.processor.limits),
    )
    if isinstance(service, TransactionalService):
        try:
            asyncio.run(service.run_until_signalled())
        except Exception as error:
            get_logger("claim_edit.service").error("stopped on error", error=type(error).__name__)
            return 1
    else:
        asyncio.run(service.app.run())
    get_logger("claim_edit.service").info("stopped")
    return 0
