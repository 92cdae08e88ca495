"""Client security options from settings, for every aiokafka client of the service."""

import ssl
from typing import Any

from service.config import KafkaSettings


def ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(
        cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None
    )
    if settings.ssl_certfile and settings.ssl_keyfile:
        password = settings.ssl_password.get_secret_value() if settings.ssl_password else ""
        # A password is always passed, so OpenSSL never prompts on a terminal: an encrypted
        # key without KAFKA_SSL_PASSWORD fails at start instead of hanging.
        context.load_cert_chain(
            str(settings.ssl_certfile), str(settings.ssl_keyfile), password=lambda: password
        )
    return context


def aiokafka_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments every aiokafka client of ours takes."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.security_protocol.startswith("SASL_"):
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return options
