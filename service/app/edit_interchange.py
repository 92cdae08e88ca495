"""One X12 record → its claims' outcomes and one answer per interchange in it.

A record is cut into its pieces first (`pieces_of`): each ISA...IEA envelope is answered on
its own, to its own sender, and each run of bytes outside an envelope (NULs padding a
transfer, garbage after IEA or before ISA) is refused: nothing in a record is skipped
without a word. For each piece, in order:

- a valid 837: each claim is converted to a ClaimSubmitted event and edited by the same
  processor, batch and encoding as a claim read from the JSON topic, so its outcome is byte
  for byte what that event would have given; a claim that cannot be read as a
  ClaimSubmitted is a `schema_invalid` dead letter carrying only its own one-claim 837
  (`Unconvertible.excerpt`: the envelope, its own provider, subscriber and patient loops,
  its 2300 loop and lines; at most MAX_EXCERPT_BYTES, else its size and sha256 only) and a
  `STC*A3:21` row with the reason; then the 277CA, split into parts (each a whole
  interchange) when it would exceed Topics.acknowledgement_max_bytes
  (CLAIM_EDIT_TOPIC_277CA_MAX_BYTES), every claim in exactly one part;
- an envelope that fails validation: pyx12's 999 for it;
- an envelope pyx12 cannot read (no 999 to give) and bytes outside any envelope: one
  `undecodable` dead letter each, naming where they are in the record (byte offsets and
  line, and the interchange before them), carrying those bytes only.

The answer (277CA or 999) mirrors the 837's envelope: it goes from the 837's receiver
(ISA07/ISA08, GS03) to its sender (ISA05/ISA06, GS02) with the 837's ISA15 (a test
interchange is answered as a test). Its control numbers (ISA13, GS06, ST02, BHT03) are
derived from a sha256 of the interchange's bytes (and the part's number), so a replay gives
the same numbers and different interchanges different ones. Its key is
`<ISA05>:<ISA06>:<ISA13>` of the 837: distinct per sender and interchange, shared by the
parts of one answer (one partition, in order). It carries the CloudEvents headers the claim
outputs carry (service/app/routing.py `output_headers`), with content-type
application/edi-x12.

The whole record over CLAIM_EDIT_MAX_EVENT_BYTES is one `too_large` dead letter (size and
sha256, not the bytes), and an unexpected exception one `processing_error` dead letter.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson

from contracts.vocabulary import ErrorKind, EventType
from service.adapters.x12.ack_277ca import (
    NoReceiverError,
    Parties,
    Unreadable,
    acknowledgements,
)
from service.adapters.x12.claims_837 import MAX_EXCERPT_BYTES, Converted, claim_events
from service.adapters.x12.interchange import (
    Interchange,
    Piece,
    Problem,
    interchange_of,
    pieces_of,
    refusal,
)
from service.adapters.x12.writing import Envelope
from service.app.edit_event import ClaimProcessor, Source
from service.app.records import InputRecord
from service.app.results import EditingUnavailableError, Processed, Yielded

ANSWER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:claim-edit:x12-answer")
MAX_CONTROL_NUMBER = 999_999_999


def edit_interchange(
    processor: ClaimProcessor, record: InputRecord, now: datetime, *, answer_max_bytes: int
) -> list[Yielded]:
    """The record's outputs, in order; an unexpected exception (a bug) is one
    `processing_error` dead letter naming only the exception's type, as for a claim event.
    `answer_max_bytes`: the largest 277CA part (the answer topic's record limit)."""
    editing = _Editing(processor, record, now, answer_max_bytes)
    limit = processor.limits.max_event_bytes
    if len(record.value) > limit:
        return [
            editing.dead_letter(
                ErrorKind.TOO_LARGE,
                f"interchange is {len(record.value)} bytes; the limit is {limit} "
                "(CLAIM_EDIT_MAX_EVENT_BYTES)",
            )
        ]
    try:
        return editing.pieces()
    except EditingUnavailableError:
        raise  # the claim memory is down: the record waits, whole
    except Exception as error:  # a bug on one interchange must not stop the stream
        return [editing.dead_letter(ErrorKind.PROCESSING_ERROR, type(error).__name__)]


def _located(problem: Problem) -> str:
    segment = problem.segment or "interchange"
    line = f" at line {problem.line}" if problem.line is not None else ""
    return f"{segment}{line}: X12 error {problem.code}"


@dataclass(frozen=True, slots=True)
class _Editing:
    """One record's editing: the processor, the record, the clock value, the answer limit."""

    processor: ClaimProcessor
    record: InputRecord
    now: datetime
    answer_max_bytes: int

    def dead_letter(
        self,
        kind: ErrorKind,
        problem: str,
        *,
        raw: bytes | None = None,
        source: Source | None = None,
    ) -> Yielded:
        """A dead letter about `raw` (a piece of the record; default: all of it) at
        `source`."""
        raw = self.record.value if raw is None else raw
        source = self.record.source if source is None else source
        letter = self.processor.unreadable(
            raw,
            source,
            self.now,
            kind,
            [problem],
            carry_original=kind is not ErrorKind.TOO_LARGE,
        )
        return Yielded(letter, raw, source.key, answers_sender=True)

    def pieces(self) -> list[Yielded]:
        pieces = pieces_of(self.record.value)
        if not pieces:
            return [
                self.dead_letter(
                    ErrorKind.UNDECODABLE, "no X12 interchange: the record holds no ISA segment"
                )
            ]
        outputs: list[Yielded] = []
        line = 0  # the record's lines (segments) before the piece
        previous: str | None = None  # the ISA13 of the interchange before it
        for piece in pieces:
            source = self.at(line + 1)
            if not piece.envelope:
                where = f"after interchange {previous}" if previous else "before any interchange"
                outputs.append(
                    self.dead_letter(
                        ErrorKind.UNDECODABLE,
                        f"bytes {piece.start}-{piece.end - 1} of the record (line {line + 1}, "
                        f"{where}) are outside any ISA...IEA envelope",
                        raw=piece.data,
                        source=source,
                    )
                )
                line += 1
                continue
            interchange = interchange_of(piece.data, first_line=line + 1)
            line += max(1, sum(1 for text in interchange.texts if text))
            previous = interchange.control_number or previous
            outputs += self.answered(piece, interchange, source=source)
        return outputs

    def at(self, line: int, key: bytes | None = None) -> Source:
        record = self.record
        key = record.key if key is None else key
        return Source(record.topic, record.partition, record.offset, key, line=line)

    def answered(self, piece: Piece, interchange: Interchange, *, source: Source) -> list[Yielded]:
        """One envelope's outputs: its claims' outcomes and its 277CA, or its 999, or one
        dead letter."""
        problems = refusal(interchange)
        if problems:
            if interchange.acknowledgement and interchange.control_number:
                number = answer_number(piece.data, 0)
                document = _renumbered(interchange.acknowledgement, number)
                return [self.answer(interchange, document, EventType.ACK_999, number, piece.data)]
            # pyx12's messages quote the data (a name, a ZIP): only where, and its error code
            where = "; ".join(_located(p) for p in interchange.problems[:20]) or problems[0]
            span = f"bytes {piece.start}-{piece.end - 1} of the record: "
            return [
                self.dead_letter(ErrorKind.UNDECODABLE, span + where, raw=piece.data, source=source)
            ]
        items: list[tuple[bytes, Source]] = []
        letters: list[Yielded] = []
        unreadable: list[Unreadable] = []
        for result in claim_events(interchange):
            claim_source = self.at(result.line, result.claim_id.encode())
            if isinstance(result, Converted):
                items.append((orjson.dumps(result.event), claim_source))
                continue
            unreadable.append(Unreadable(result.claim, "; ".join(result.problems)))
            excerpt = result.excerpt.encode()
            letter = self.processor.unreadable(
                excerpt,
                claim_source,
                self.now,
                ErrorKind.SCHEMA_INVALID,
                [f"interchange {interchange.control_number}: {result.describe()}"],
                carry_original=len(excerpt) <= MAX_EXCERPT_BYTES,
            )
            letters.append(Yielded(letter, excerpt, claim_source.key))
        processed = self.processor.process_batch(items, self.now)
        outputs = [
            Yielded(result, raw, source.key)
            for result, (raw, source) in zip(processed, items, strict=True)
        ]
        outputs += letters
        outcomes = [p.outcome for p in processed if p.outcome is not None]
        envelope = _answering(interchange, self.now)

        def numbered(part: int) -> int:
            return answer_number(piece.data, part)

        limit = self.answer_max_bytes
        try:
            answer = acknowledgements(
                outcomes, envelope, unreadable=unreadable, max_bytes=limit, control_number=numbered
            )
        except NoReceiverError:  # no claim carried the submitter: answer the 837's sender
            sender = interchange.sender or "UNKNOWN"
            parties = Parties(receiver_name=sender, receiver_id=sender)
            answer = acknowledgements(
                outcomes, envelope, parties, unreadable, max_bytes=limit, control_number=numbered
            )
        outputs += [
            self.answer(interchange, document, EventType.ACK_277CA, numbered(part), piece.data)
            for part, document in enumerate(answer.documents)
        ]
        return outputs

    def answer(
        self,
        interchange: Interchange,
        document: str,
        event_type: EventType,
        number: int,
        interchange_bytes: bytes,
    ) -> Yielded:
        key = answer_key(interchange)
        result = Processed(
            event_type=event_type,
            event_id=str(uuid.uuid5(ANSWER_NAMESPACE, f"{event_type}|{key}|{number}")),
            key=key.encode(),
            value=document.encode(),
            source_event_id=interchange.control_number,  # correlation-id's fallback: ISA13
        )
        return Yielded(result, interchange_bytes, self.record.key, answers_sender=True)


def answer_number(interchange: bytes, part: int) -> int:
    """An answer's control number (1..999999999): from a sha256 of the interchange's bytes
    and the answer's part, so stable on replay and distinct per interchange and part."""
    digest = hashlib.sha256(interchange + (f"\n{part}".encode() if part else b"")).digest()
    return int.from_bytes(digest[:8], "big") % MAX_CONTROL_NUMBER + 1


def _answering(interchange: Interchange, now: datetime) -> Envelope:
    """The 837's envelope turned round (see the module's docstring)."""
    group = next((s for s in interchange.segments if s.id == "GS"), None)
    return Envelope(
        sender=interchange.header(8) or Parties().source_id,
        receiver=interchange.header(6) or "UNKNOWN",
        control_number=0,  # each part's own
        at=now,
        usage=interchange.header(15) or "P",
        sender_qualifier=interchange.header(7) or "ZZ",
        receiver_qualifier=interchange.header(5) or "ZZ",
        application_sender=(group.value(3) if group is not None else None),
        application_receiver=(group.value(2) if group is not None else None),
    )


def answer_key(interchange: Interchange) -> str:
    """`<ISA05>:<ISA06>:<ISA13>` of the 837 (padding removed)."""
    return ":".join(
        (interchange.header(5), interchange.header(6), interchange.control_number or "")
    )


def _renumbered(document: str, number: int) -> str:
    """pyx12's 999 with `number` as its interchange and group control numbers (pyx12 takes
    the clock and a random number: a replay would differ)."""
    texts = document.split("~")
    for index, text in enumerate(texts):
        body = text.lstrip("\r\n")
        elements = body.split("*")
        position = {"ISA": 13, "IEA": 2, "GS": 6, "GE": 2}.get(elements[0])
        if position is None or len(elements) <= position:
            continue
        elements[position] = f"{number:09d}" if elements[0] in {"ISA", "IEA"} else str(number)
        texts[index] = text[: len(text) - len(body)] + "*".join(elements)
    return "~".join(texts)
