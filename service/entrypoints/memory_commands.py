"""`claim-edit memory migrate` and `claim-edit memory purge` (docs/memory.md).

migrate: bring the claim memory's schema (CLAIM_EDIT_MEMORY_URL) up to date; the service
does the same at start, so this is for a schema set up ahead of a deployment.
purge: delete the claims whose latest date of service is before the cutoff (default: today
less CLAIM_EDIT_MEMORY_RETENTION_DAYS); run it daily.
Exit 2 when no memory is configured or the settings are wrong, 4 when the server does not
answer.
"""

import argparse
import sys
from datetime import UTC, date, datetime
from typing import Any

from psycopg.errors import UndefinedTable
from pydantic import ValidationError

from service.app.memory import MemoryUnavailableError
from service.config import MemorySettings, settings_error_text

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 4


def _settings(args: argparse.Namespace) -> MemorySettings | None:
    overrides: dict[str, Any] = {"memory_url": args.url} if args.url else {}
    try:
        settings = MemorySettings(**overrides)
    except ValidationError as error:
        text = settings_error_text(MemorySettings, error)
        print(f"claim-edit memory: configuration error: {text}", file=sys.stderr)
        return None
    if settings.memory_url is None:
        print(
            "claim-edit memory: no claim memory configured (CLAIM_EDIT_MEMORY_URL or --url)",
            file=sys.stderr,
        )
        return None
    return settings


def _migrate(args: argparse.Namespace) -> int:
    from service.adapters.memory import apply_migrations

    settings = _settings(args)
    if settings is None or settings.memory_url is None:
        return EXIT_USAGE
    try:
        applied = apply_migrations(settings.memory_url.get_secret_value())
    except MemoryUnavailableError as error:
        print(f"claim-edit memory migrate: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    print(
        f"claim-edit memory migrate: {len(applied)} applied" + "".join(f"\n  {a}" for a in applied)
    )
    return 0


def _purge(args: argparse.Namespace) -> int:
    from service.adapters.memory import purge, retention_cutoff

    settings = _settings(args)
    if settings is None or settings.memory_url is None:
        return EXIT_USAGE
    before = args.before or retention_cutoff(
        datetime.now(UTC).date(), settings.memory_retention_days
    )
    try:
        removed = purge(settings.memory_url.get_secret_value(), before)
    except MemoryUnavailableError as error:
        print(f"claim-edit memory purge: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except UndefinedTable:
        print(
            "claim-edit memory purge: no claim memory schema there (claim-edit memory migrate)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(
        f"claim-edit memory purge: {removed} claims whose latest date of service is before {before}"
    )
    return 0


def add_commands(commands: Any) -> None:
    memory = commands.add_parser("memory", help="the claim memory on PostgreSQL: schema, retention")
    memory_commands = memory.add_subparsers(dest="memory_command", required=True)
    url_help = "PostgreSQL URL (default CLAIM_EDIT_MEMORY_URL)"
    migrate = memory_commands.add_parser("migrate", help="apply the schema migrations")
    migrate.add_argument("--url", help=url_help)
    migrate.set_defaults(run=_migrate)
    purge = memory_commands.add_parser(
        "purge", help="delete claims whose latest date of service is before the cutoff"
    )
    purge.add_argument("--url", help=url_help)
    purge.add_argument(
        "--before",
        type=date.fromisoformat,
        help="cutoff (YYYY-MM-DD; default: today less CLAIM_EDIT_MEMORY_RETENTION_DAYS)",
    )
    purge.set_defaults(run=_purge)
