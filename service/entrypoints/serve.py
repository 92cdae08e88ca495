"""`claim-edit serve`: the composition root of the Kafka service."""

import asyncio
import gc
import signal
import ssl
import sys

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from service.adapters.csv_tables import ReferenceDataError
from service.adapters.policy_file import PolicyError
from service.app.edit_event import ClaimProcessor, largest_output_bytes
from service.bootstrap import build_processor, build_service
from service.config import EngineSettings, KafkaSettings, ServiceSettings, settings_error_text
from service.domain.reference import ReferenceData
from service.observability.logging import configure_logging, get_logger
from service.stream.guarantees import FENCED
from service.stream.sending import UnpublishableError
from service.stream.service import StartupError

EXIT_FAILED = 1
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


async def serve(kafka: KafkaSettings, settings: ServiceSettings, processor: ClaimProcessor) -> int:
    log = get_logger("claim_edit.service")
    try:
        service = build_service(kafka, settings, processor)
    except (ssl.SSLError, OSError) as error:  # the TLS files, read when the clients are built
        print(
            f"claim-edit: configuration error: KAFKA_SSL_CERTFILE / KAFKA_SSL_KEYFILE / "
            f"KAFKA_SSL_PASSWORD / KAFKA_SSL_CAFILE: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        return EXIT_CONFIGURATION
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, service.stopping.set)
    log.info(
        "starting",
        topic=settings.topic_submitted,
        x12_topic=settings.topic_x12,  # None: X12 off
        acknowledgement_topic=settings.topic_277ca if settings.topic_x12 else None,
        group_id=settings.group_id,
        guarantee=settings.processing_guarantee,
        http_port=settings.http_port,
        reference=processor.reference.fingerprint,
        # the dead-letter topic's max.message.bytes should be at least this
        largest_output_bytes=largest_output_bytes(processor.limits),
    )
    try:
        await service.start()
        await service.run()
    except StartupError as error:
        print(f"claim-edit: cannot start: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION
    except UnpublishableError as error:
        log.error("stopped: an output cannot be published anywhere", reason=str(error))
        print(f"claim-edit: stopped: {error}", file=sys.stderr)
        return EXIT_FAILED
    except FENCED as error:
        log.error("stopped: fenced by a newer instance", error=type(error).__name__)
        return EXIT_FAILED
    finally:
        await service.stop()
    log.info("stopped")
    return 0


def warn_about_reference(reference: ReferenceData, engine: EngineSettings) -> None:
    """At start: official files left out, and each table a partial release fed (the codes
    that kept their shipped rows), one WARNING line each."""
    log = get_logger("claim_edit.service")
    if reference.ignored_files:
        log.warning(
            "reference files of no known layout were ignored",
            directory=str(engine.reference_dir),
            files=list(reference.ignored_files),
        )
    for partial in reference.partial:
        log.warning(
            "partial official release: the shipped rows stay for the codes it lacks",
            table=partial,
            setting="CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE",
        )


def run_service() -> int:
    engine, kafka, settings = load_settings()
    configure_logging(engine.log_level)
    try:
        processor = build_processor(engine)
    except (ReferenceDataError, PolicyError) as error:
        print(f"claim-edit: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION
    warn_about_reference(processor.reference, engine)
    settle_garbage_collection()
    return asyncio.run(serve(kafka, settings, processor))
