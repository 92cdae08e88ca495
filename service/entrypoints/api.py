"""`claim-edit api`: the HTTP service (docs/api.md), under uvicorn, loopback by default."""

import sys

import uvicorn
from pydantic import ValidationError

from service.bootstrap import build_api
from service.config import ApiSettings, EngineSettings, settings_error_text
from service.observability.logging import configure_logging

EXIT_USAGE = 2


def run_api() -> int:
    try:
        engine = EngineSettings()
        settings = ApiSettings()
    except ValidationError as error:
        model = EngineSettings if error.title == EngineSettings.__name__ else ApiSettings
        print(
            f"claim-edit: configuration error: {settings_error_text(model, error)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    configure_logging(engine.log_level)
    try:
        app = build_api(engine, settings)
    except ValueError as error:  # no token, a short token
        print(f"claim-edit api: {error}", file=sys.stderr)
        return EXIT_USAGE
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,  # our own access line (service/api/security.py): no query strings
        log_config=None,  # uvicorn's own lines through the service's JSON logging
        ssl_certfile=str(settings.ssl_certfile) if settings.ssl_certfile else None,
        ssl_keyfile=str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
        server_header=False,
        proxy_headers=False,
    )
    return 0
