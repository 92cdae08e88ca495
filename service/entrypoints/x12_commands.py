"""`claim-edit x12 to-events` and `claim-edit x12 277ca` (docs/x12.md).

to-events: every file must validate (pyx12, 005010 guides) before anything is written; an
invalid one is reported on stderr by segment and position (and its 999 written to `--ack`),
and stdout stays empty: exit 2. A claim of a valid file that cannot become a ClaimSubmitted
is reported on stderr with its CLM position and the others are written: exit 3.

277ca: outcome events in, one 277CA out. Dead letters and claims without what a 277CA must
name are not rows; each is reported on stderr, 999-style (what, where, why): exit 3.
"""

import argparse
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from contracts import CLAIM_OUTCOME
from contracts.vocabulary import EventType
from service.adapters.x12.ack_277ca import (
    ClaimOutcome,
    NoReceiverError,
    Parties,
    acknowledgement,
)
from service.adapters.x12.claims_837 import Converted, claim_events
from service.adapters.x12.interchange import Interchange, interchange_of, refusal
from service.entrypoints.check_input import events_in

_OUTCOME_TYPES = {EventType.ENRICHED, EventType.REJECTED}

EXIT_USAGE = 2
EXIT_REPORTED = 3


def _read(name: str) -> bytes:
    return sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()


def documentation_by_claim(path: Path) -> dict[str, dict[str, Any]]:
    """JSON lines, each `{"claim_id": ..., "procedure": {...}, ...}`; later lines win."""
    found: dict[str, dict[str, Any]] = {}
    for raw, source in events_in(str(path), path.read_bytes()):
        try:
            document = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"{path}:{source.line}: not JSON ({error})") from error
        if not isinstance(document, dict) or not isinstance(document.get("claim_id"), str):
            raise ValueError(f"{path}:{source.line}: a line needs a string claim_id")
        found[document["claim_id"]] = document
    return found


def run_to_events(args: argparse.Namespace) -> int:
    try:
        documentation = documentation_by_claim(args.documentation) if args.documentation else {}
    except (OSError, ValueError) as error:
        print(f"claim-edit x12 to-events: --documentation: {error}", file=sys.stderr)
        return EXIT_USAGE
    converted: list[tuple[str, Interchange]] = []
    refused = False
    acks: list[str] = []
    for name in args.files:
        try:
            interchange = interchange_of(_read(name))
        except OSError as error:
            print(f"claim-edit x12 to-events: {name}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
        problems = refusal(interchange)
        if problems:
            refused = True
            for problem in problems:
                print(f"{name}: {problem}", file=sys.stderr)
            acks.append(interchange.acknowledgement)
        converted.append((name, interchange))
    if args.ack:
        args.ack.write_text("".join(a for a in acks if a))
    if refused:
        print("claim-edit x12 to-events: invalid X12; no event written", file=sys.stderr)
        return EXIT_USAGE
    reported = 0
    out = sys.stdout.buffer
    for name, interchange in converted:
        results = claim_events(interchange, documentation)
        for result in results:
            if isinstance(result, Converted):
                out.write(orjson.dumps(result.event) + b"\n")
            else:
                reported += 1
                print(f"{name}: {result.describe()}", file=sys.stderr)
        done = sum(isinstance(r, Converted) for r in results)
        print(f"{name}: {len(results)} claims, {done} converted", file=sys.stderr)
    out.flush()
    return EXIT_REPORTED if reported else 0


def run_277ca(args: argparse.Namespace) -> int:
    outcomes: list[ClaimOutcome] = []
    left_out: list[str] = []
    for name in args.files or ["-"]:
        label = "<stdin>" if name == "-" else name
        try:
            content = _read(name)
        except OSError as error:
            print(f"claim-edit x12 277ca: {name}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
        for raw, source in events_in(label, content):
            try:
                event = orjson.loads(raw)
            except orjson.JSONDecodeError:
                left_out.append(f"{label}:{source.line}: not JSON")
                continue
            if isinstance(event, dict) and event.get("event_type") == EventType.DEAD_LETTER:
                left_out.append(_dead_letter_report(event))
            elif isinstance(event, dict) and event.get("event_type") in _OUTCOME_TYPES:
                try:
                    outcomes.append(CLAIM_OUTCOME.validate_python(event))
                except ValidationError as error:
                    first = error.errors(include_input=False, include_url=False)[0]
                    where = ".".join(str(part) for part in first["loc"])
                    left_out.append(
                        f"{label}:{source.line}: not a valid claim outcome ({where}: "
                        f"{first['msg']})"
                    )
            elif isinstance(event, dict):
                left_out.append(
                    f"{event.get('event_type') or 'an event without event_type'} "
                    f"{event.get('event_id', '')}: not a claim outcome"
                )
            else:
                left_out.append(f"{label}:{source.line}: not an outcome event")
    try:
        result = acknowledgement(
            outcomes,
            args.control_number,
            datetime.now(UTC),
            Parties(receiver_name=args.receiver_name, receiver_id=args.receiver_id),
        )
    except NoReceiverError as error:
        print(f"claim-edit x12 277ca: {error}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(result.document + "\n")
    for reason in left_out + result.unacknowledged:
        print(f"999-style rejection, not in the 277CA: {reason}", file=sys.stderr)
    print(
        f"277CA: {result.accepted} accepted, {result.rejected} rejected, "
        f"{len(left_out) + len(result.unacknowledged)} not acknowledged",
        file=sys.stderr,
    )
    return EXIT_REPORTED if left_out or result.unacknowledged else 0


def _dead_letter_report(event: Mapping[str, Any]) -> str:
    source = event.get("source") or {}
    where = (
        f"{source.get('topic')}/{source.get('partition')}/{source.get('offset')}"
        if source.get("topic")
        else f"{source.get('file')}:{source.get('line')}"
    )
    errors = "; ".join(f"{e.get('loc')}: {e.get('msg')}" for e in event.get("errors") or [])
    return f"dead letter {event.get('event_id')} ({event.get('error_kind')}) from {where}: {errors}"


def add_commands(commands: Any) -> None:
    x12 = commands.add_parser("x12", help="X12 005010: 837 claims in, 277CA out")
    x12_commands = x12.add_subparsers(dest="x12_command", required=True)
    to_events = x12_commands.add_parser(
        "to-events", help="837P/837I interchanges → ClaimSubmitted events (JSON lines)"
    )
    to_events.add_argument("files", nargs="+", help="X12 files ('-': stdin)")
    to_events.add_argument(
        "--documentation",
        type=Path,
        help="JSON lines keyed by claim_id: what the 837 cannot carry (procedure, ...)",
    )
    to_events.add_argument("--ack", type=Path, help="write pyx12's 999 for invalid input here")
    to_events.set_defaults(run=run_to_events)
    ack = x12_commands.add_parser("277ca", help="outcome events → one 277CA (005010X214)")
    ack.add_argument("files", nargs="*", help="outcome events ('-' or none: stdin)")
    ack.add_argument("--receiver-id", help="2100B NM109 (default: the 837 submitter)")
    ack.add_argument("--receiver-name", help="2100B NM103 (default: the 837 submitter)")
    ack.add_argument("--control-number", type=int, default=1, help="ISA13/GS06/BHT03 (default 1)")
    ack.set_defaults(run=run_277ca)
