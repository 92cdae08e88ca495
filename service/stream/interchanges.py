"""One X12 837 interchange record → its claims' outcomes and exactly one 277CA (or 999).

Each claim is converted to a ClaimSubmitted event and edited by the same processor, batch
and encoding as a claim read from the JSON topic, so its outcome is byte for byte what that
event would have given. The record's outputs are delivered together by the guarantee in
force (one transaction under exactly-once), so the interchange is answered once:

- valid 837: one outcome per claim on the enriched/rejected topics; a claim that cannot be
  read as a ClaimSubmitted is a `schema_invalid` dead letter (carrying the interchange) and
  a `STC*A3:21` row with the reason; then the 277CA, keyed by the interchange control
  number (ISA13);
- X12 that fails validation: pyx12's 999 on the same topic, keyed the same way;
- bytes pyx12 cannot read as X12 at all (no envelope to acknowledge): one `undecodable`
  dead letter, as for any unreadable record; an interchange over CLAIM_EDIT_MAX_EVENT_BYTES
  is one `too_large` dead letter (size and sha256, not the bytes), and an unexpected
  exception one `processing_error` dead letter.

The 277CA's control number is the interchange's (when numeric), so reprocessing the same
record gives the same document apart from its date and time.
"""

from datetime import datetime
from typing import TYPE_CHECKING

import orjson

from service.adapters.x12.ack_277ca import (
    NoReceiverError,
    Parties,
    Unreadable,
    acknowledgement,
)
from service.adapters.x12.claims_837 import Converted, claim_events
from service.adapters.x12.interchange import Interchange, Problem, interchange_of, refusal
from service.processing import Processed, Source
from service.stream.records import InputRecord, OutputRecord

if TYPE_CHECKING:
    from service.stream.editing import BatchEditor


def edit_interchange(
    editor: "BatchEditor", record: InputRecord, now: datetime
) -> list[OutputRecord]:
    """The record's outputs; an unexpected exception (a bug) is one `processing_error` dead
    letter naming only the exception's type, as for a claim event."""
    limit = editor.processor.limits.max_event_bytes
    if len(record.value) > limit:
        return [
            _dead_letter(
                editor,
                record,
                now,
                "too_large",
                f"interchange is {len(record.value)} bytes; the limit is {limit} "
                "(CLAIM_EDIT_MAX_EVENT_BYTES)",
            )
        ]
    try:
        return _edited(editor, record, now)
    except Exception as error:  # a bug on one interchange must not stop the stream
        return [_dead_letter(editor, record, now, "processing_error", type(error).__name__)]


def _located(problem: Problem) -> str:
    segment = problem.segment or "interchange"
    line = f" at line {problem.line}" if problem.line is not None else ""
    return f"{segment}{line}: X12 error {problem.code}"


def _dead_letter(
    editor: "BatchEditor", record: InputRecord, now: datetime, kind: str, problem: str
) -> OutputRecord:
    letter = editor.processor.unreadable(
        record.value, record.source, now, kind, [problem], carry_original=kind != "too_large"
    )
    editor.observe([record], [letter])
    editor.metrics.observe([letter], [])
    return editor.output(record, letter, now)


def _edited(editor: "BatchEditor", record: InputRecord, now: datetime) -> list[OutputRecord]:
    interchange = interchange_of(record.value)
    problems = refusal(interchange)
    if problems:
        if interchange.acknowledgement and interchange.control_number:
            return [_x12(editor, record, interchange, interchange.acknowledgement, "x12.999")]
        # pyx12's messages quote the data (a name, a ZIP): only where, and its error code
        where = "; ".join(_located(p) for p in interchange.problems[:20]) or problems[0]
        return [_dead_letter(editor, record, now, "undecodable", where)]
    results = claim_events(interchange)
    items: list[tuple[bytes, Source]] = []
    letters: list[Processed] = []
    unreadable: list[Unreadable] = []
    for result in results:
        source = Source(
            record.topic,
            record.partition,
            record.offset,
            result.claim_id.encode(),
            line=result.line,
        )
        if isinstance(result, Converted):
            items.append((orjson.dumps(result.event), source))
        else:
            unreadable.append(Unreadable(result.claim, "; ".join(result.problems)))
            letters.append(
                editor.processor.unreadable(
                    record.value, source, now, "schema_invalid", [result.describe()]
                )
            )
    processed = editor.processor.process_batch(items, now)
    editor.metrics.observe([*processed, *letters], [])
    outputs = [editor.output(record, result, now) for result in [*processed, *letters]]
    outcomes = [orjson.loads(p.value) for p in processed if p.event_type != "claim.dead_letter"]
    control = interchange.control_number or ""
    number = int(control) if control.isdigit() else 1
    try:
        answer = acknowledgement(outcomes, number, now, unreadable=unreadable)
    except NoReceiverError:  # no claim carried the submitter: answer the interchange's sender
        sender = interchange.sender or "UNKNOWN"
        parties = Parties(receiver_name=sender, receiver_id=sender)
        answer = acknowledgement(outcomes, number, now, parties, unreadable)
    outputs.append(_x12(editor, record, interchange, answer.document, "x12.277ca"))
    return outputs


def _x12(
    editor: "BatchEditor",
    record: InputRecord,
    interchange: Interchange,
    document: str,
    event_type: str,
) -> OutputRecord:
    key = (interchange.control_number or "").encode() or record.key
    correlation = record.copyable_header("correlation-id") or (interchange.control_number or "")
    return OutputRecord(
        editor.topics.acknowledgements,
        key,
        document.encode(),
        (
            ("content-type", b"application/edi-x12"),
            ("event-type", event_type.encode()),
            ("correlation-id", correlation.encode()),
            ("source-offset", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ),
        record,
    )
