"""`claim-edit`: check, rules, serve, demo (docs/contract.md, Command line)."""

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from service.adapters.broker_wait import EXIT_NO_BROKER, NoBrokerError
from service.adapters.csv_tables import ReferenceDataError
from service.adapters.policy_file import PolicyError
from service.app.memory import MemoryUnavailableError
from service.app.results import Processed
from service.bootstrap import build_processor, no_memory
from service.config import (
    ApiSettings,
    EngineSettings,
    KafkaSettings,
    ServiceSettings,
    settings_error_text,
)
from service.domain.registry import catalog_for
from service.entrypoints import rendering
from service.entrypoints.check_input import events_in
from service.entrypoints.memory_commands import add_commands as add_memory_commands
from service.entrypoints.settings_help import settings_epilog
from service.entrypoints.x12_commands import add_commands as add_x12_commands

EXIT_REJECTED = 3
EXIT_USAGE = 2
PARTIAL_HELP = (
    "load an official release that lacks rows for codes a shipped table has (an excerpt): "
    "the shipped rows stay for those codes (default CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE)"
)


def _check(args: argparse.Namespace) -> int:
    overrides = {}
    if args.policy:
        overrides["policy_file"] = args.policy
    if args.reference_dir:
        overrides["reference_dir"] = args.reference_dir
    if args.accept_partial_reference:
        overrides["accept_partial_reference"] = True
    if args.memory:
        overrides["memory_url"] = args.memory
    try:
        settings = EngineSettings(**overrides)
    except ValidationError as error:  # the same line `serve` gives for its variables
        print(
            f"claim-edit: configuration error: {settings_error_text(EngineSettings, error)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    # The memory is used only when named here: a claim tried with `check` is not a claim
    # billed, and remembering it would make the real one its duplicate later.
    processor = (
        build_processor(settings) if args.memory else build_processor(settings, memory=no_memory)
    )
    if processor.reference.ignored_files:
        print(
            f"claim-edit check: ignored in {settings.reference_dir} (no known layout): "
            + ", ".join(processor.reference.ignored_files),
            file=sys.stderr,
        )
    for partial in processor.reference.partial:
        print(f"claim-edit check: partial release: {partial}", file=sys.stderr)
    names = args.files or ["-"]
    results: list[tuple[str, Processed]] = []
    table_rows: list[tuple[str, dict[str, Any]]] = []
    out = sys.stdout.buffer
    for name in names:
        try:
            content = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as error:
            print(f"claim-edit check: {name}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
        label = "<stdin>" if name == "-" else name
        events = list(events_in(label, content))
        if not events:
            print(f"claim-edit check: {label}: no events in it", file=sys.stderr)
        for raw, source in events:
            try:
                result = processor.process(raw, source, datetime.now(UTC))
            except MemoryUnavailableError as error:
                print(f"claim-edit check: {error}", file=sys.stderr)
                return EXIT_USAGE
            position = source.line if source.line is not None else source.offset
            where = f"{Path(label).name}:{position}"
            results.append((where, result))
            if args.table:
                table_rows.append((where, orjson.loads(result.value)))
            else:
                out.write(result.value + b"\n")
    if args.table:
        sys.stdout.write(rendering.outcome_table(table_rows))
    sys.stdout.flush()
    failed = any(r.event_type != "claim.enriched" for _, r in results)
    return EXIT_REJECTED if args.fail_on_reject and failed else 0


def _rules(args: argparse.Namespace) -> int:
    from service.adapters.reference_files import load_reference

    ruleset = None
    if args.as_of is not None:
        found = load_reference().ruleset_for(args.as_of)
        if found is None:
            print(f"claim-edit rules: no ruleset covers {args.as_of.isoformat()}", file=sys.stderr)
            return EXIT_USAGE
        ruleset = found.version
    specs = catalog_for(ruleset)
    render = {
        "table": rendering.rules_table,
        "json": rendering.rules_json,
        "markdown": rendering.rules_markdown,
    }[args.format]
    sys.stdout.write(render(specs, ruleset, args.as_of))
    return 0


def _reference(args: argparse.Namespace) -> int:
    from service.bootstrap import build_processor
    from service.config import EngineSettings
    from service.entrypoints.reference_show import show

    overrides: dict[str, Any] = {"reference_dir": args.reference_dir} if args.reference_dir else {}
    if args.accept_partial_reference:
        overrides["accept_partial_reference"] = True
    reference = build_processor(EngineSettings(**overrides)).reference
    text = show(reference, args.as_of)
    if text is None:
        print(f"claim-edit reference: no ruleset covers {args.as_of}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(text)
    return 0


def _rejections(args: argparse.Namespace) -> int:
    from service.entrypoints.rejections import run_rejections

    return run_rejections(args.window, args.once, args.interval, args.latest)


def _demo(args: argparse.Namespace) -> int:
    from service.entrypoints.demo import run_demo

    return run_demo()


def _send(args: argparse.Namespace) -> int:
    from service.entrypoints.send import run_send

    return run_send(args.files, args.timeout, args.table, args.fail_on_reject)


def _serve(args: argparse.Namespace) -> int:
    from service.entrypoints.serve import run_service

    return run_service()


def _api(args: argparse.Namespace) -> int:
    from service.entrypoints.api import run_api

    return run_api()


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="claim-edit", description="PCI claim edits: check, catalog, Kafka service."
    )
    top.add_argument("--version", action="version", version=f"claim-edit {version('claim-edit')}")
    commands = top.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="edit ClaimSubmitted events from files or stdin")
    check.add_argument("files", nargs="*", help="files of events ('-' or none: stdin)")
    check.add_argument(
        "--fail-on-reject",
        action="store_true",
        help="exit 3 if any event was rejected or dead-lettered",
    )
    check.add_argument("--table", action="store_true", help="a readable summary instead of JSON")
    check.add_argument("--policy", type=Path, help="policy TOML (default CLAIM_EDIT_POLICY_FILE)")
    check.add_argument(
        "--reference-dir", type=Path, help="official CMS files (default CLAIM_EDIT_REFERENCE_DIR)"
    )
    check.add_argument(
        "--accept-partial-reference",
        action="store_true",
        help=PARTIAL_HELP,
    )
    check.add_argument(
        "--memory",
        metavar="URL",
        help="claim memory (a PostgreSQL URL): the history edits read the patients' earlier "
        "claims and each edited claim is remembered, in file order; needs "
        "CLAIM_EDIT_MEMORY_SECRET. Without it no memory is used, even if "
        "CLAIM_EDIT_MEMORY_URL is set (a claim tried is not a claim billed)",
    )
    check.set_defaults(run=_check)
    rules = commands.add_parser("rules", help="the edit catalog in force on a date")
    rules.add_argument("--as-of", type=date.fromisoformat, help="service date (YYYY-MM-DD)")
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    rules.set_defaults(run=_rules)
    reference = commands.add_parser("reference", help="the reference data loaded")
    reference_commands = reference.add_subparsers(dest="reference_command", required=True)
    reference_show = reference_commands.add_parser(
        "show", help="tables, rows, dates, confidence and the files they come from"
    )
    reference_show.add_argument("--as-of", type=date.fromisoformat, help="service date")
    reference_show.add_argument(
        "--reference-dir", type=Path, help="official CMS files (default CLAIM_EDIT_REFERENCE_DIR)"
    )
    reference_show.add_argument(
        "--accept-partial-reference", action="store_true", help=PARTIAL_HELP
    )
    reference_show.set_defaults(run=_reference)
    serve = commands.add_parser(
        "serve",
        help="run the service against the configured Kafka",
        description="Edit the input topics' claims; publish their outcomes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=settings_epilog(EngineSettings, KafkaSettings, ServiceSettings),
    )
    serve.set_defaults(run=_serve)
    send = commands.add_parser(
        "send",
        help="put claims or 837s onto a running service's topics; print their outcomes",
        description="Publish each file's claims (JSON lines, a JSON array or object, as "
        "`check` reads them) to CLAIM_EDIT_TOPIC_SUBMITTED, or an 837 (a file starting with "
        "ISA) whole to CLAIM_EDIT_TOPIC_X12, each record with a fresh correlation-id; wait "
        "for the outcomes the service publishes for them and print them as `check` does. "
        "Kafka and topics come from the settings `serve --help` lists.",
    )
    send.add_argument("files", nargs="+", help="files of events or 837s ('-': stdin)")
    send.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds to wait for every outcome (default 60); then exit 5",
    )
    send.add_argument("--table", action="store_true", help="a readable summary instead of JSON")
    send.add_argument(
        "--fail-on-reject",
        action="store_true",
        help="exit 3 if any claim was rejected or dead-lettered, or an 837 refused (999)",
    )
    send.set_defaults(run=_send)
    api = commands.add_parser(
        "api",
        help="the edits over HTTP, and the checker pages (docs/api.md; 127.0.0.1:8000)",
        description="Serve POST /v1/claims:check, POST /v1/x12:check, GET /v1/rules, "
        "GET /v1/reference, GET /v1/rejections and the pages / and /rejections.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=settings_epilog(ApiSettings, EngineSettings, KafkaSettings),
    )
    api.set_defaults(run=_api)
    demo = commands.add_parser(
        "demo", help="a local broker if none is configured, the service, the sample claims"
    )
    demo.set_defaults(run=_demo)
    rejections = commands.add_parser(
        "rejections", help="follow claims.rejected and the DLQ: counts and latest reasons"
    )
    rejections.add_argument("--window", type=float, default=60.0, help="minutes (default 60)")
    rejections.add_argument("--once", action="store_true", help="print a snapshot and exit")
    rejections.add_argument("--interval", type=float, default=5.0, help="refresh seconds")
    rejections.add_argument("--latest", type=int, default=10, help="latest rejections shown")
    rejections.set_defaults(run=_rejections)
    add_x12_commands(commands)
    add_memory_commands(commands)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except (ReferenceDataError, PolicyError) as error:
        print(f"claim-edit {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except NoBrokerError as error:
        print(f"claim-edit {args.command}: {error}", file=sys.stderr)
        return EXIT_NO_BROKER
    except BrokenPipeError:  # `claim-edit check ... | head`: the reader has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
