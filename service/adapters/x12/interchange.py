"""An X12 interchange, validated by pyx12 against the 005010 implementation guides.

One pass through pyx12's validator (`x12n_document`, used as designed: a callback sees each
segment with the map node it matched) gives three things at once: every segment with the
loop it belongs to, every problem with its segment and position, and pyx12's own 999
acknowledgement. Nothing here interprets a claim; `claims_837` does that.

pyx12 4.0 carries the maps of the 837P errata A1 (005010X222A1) and the 837I errata A2
(005010X223A2). Interchanges that declare the later errata (X222A2, X223A3; the
LinuxForHealth fixtures do) are validated against those maps: the version identifiers are
read as the earlier errata, and the errors and the 999 name the interchange's own segments,
positions and version (the identifiers have the same length, so no position moves).

pyx12 writes element values into its messages, exceptions and logs (a member id, a name, a
birth date): its logger is silenced here, and a problem is described by where it is and
pyx12's error code (the 999's IK304/IK403 codes), never by pyx12's message; a pyx12
exception is named by its kind, never by its text.

A record may hold several interchanges, and bytes outside any of them (NULs padding a
transfer, garbage after IEA): pyx12 would read the first interchange's segments, the
others' too, and skip what follows the last segment terminator without a word. So a record
is first cut into its pieces (`pieces_of`): each ISA...IEA envelope, to be read and answered
on its own, and each run of other bytes, to be refused. Line breaks and spaces between
envelopes (and a byte-order mark before the first) are not pieces.
"""

import dataclasses
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyx12.params
import pyx12.x12n_document

_PYX12_LOG = logging.getLogger("pyx12")
_PYX12_LOG.setLevel(logging.CRITICAL + 1)  # its records carry element values: none is made
_PYX12_LOG.addHandler(logging.NullHandler())
_PYX12_LOG.propagate = False

# the errata pyx12 has no map for → the errata whose map validates them
READ_AS = {"005010X222A2": "005010X222A1", "005010X223A3": "005010X223A2"}
MAX_PROBLEMS = 50
ISA_LENGTH = 106  # the ISA segment is fixed length: its 106th character ends every segment
BYTE_ORDER_MARK = b"\xef\xbb\xbf"
_BETWEEN = b" \t\r\n"  # what may separate envelopes (a file's line breaks)
_SPACES = re.compile(b"[" + re.escape(_BETWEEN) + b"]+")


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its id, the implementation guide loop it sits in (`2300`, `2400`,
    `HEADER`...), its values by reference designator (`CLM01`, `CLM05-3`) and where it is:
    its number inside the transaction set (the 999's IK302) and in the file."""

    id: str
    loop: str
    values: dict[str, str] = field(repr=False)  # patient data among them: not in the repr
    number: int
    line: int

    def value(self, element: int, component: int | None = None) -> str | None:
        """Element `element` (1-based), or its component: `value(5, 3)` is CLM05-3.
        A composite sent with one component reads as that component."""
        name = f"{self.id}{element:02d}"
        if component is None:
            return self.values.get(name) or None
        found = self.values.get(f"{name}-{component}")
        if found is None and component == 1:
            found = self.values.get(name)
        return found or None

    def components(self, element: int) -> list[str]:
        """Every component of a composite element, in order, empty ones included."""
        name = f"{self.id}{element:02d}"
        if name in self.values:
            return [self.values[name]]
        found: list[str] = []
        n = 1
        while f"{name}-{n}" in self.values:
            found.append(self.values[f"{name}-{n}"])
            n += 1
        return found


# X12 999 IK403 (data element syntax error codes, element 723) and IK304 (implementation
# segment syntax error codes, element 620): what kind of problem pyx12 found
ELEMENT_ERRORS = {
    "1": "required data element missing",
    "2": "conditional required data element missing",
    "3": "too many data elements",
    "4": "data element too short",
    "5": "data element too long",
    "6": "invalid character in data element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used in implementation",
    "I9": "implementation dependent data element missing",
    "I10": 'implementation "not used" data element present',
    "I11": "implementation too few repetitions",
    "I12": "implementation pattern match failure",
    "I13": 'implementation dependent "not used" data element present',
}
SEGMENT_ERRORS = {
    "1": "unrecognized segment ID",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs over maximum times",
    "5": "segment exceeds maximum use",
    "6": "segment not in defined transaction set",
    "7": "segment not in proper sequence",
    "8": "segment has data element errors",
    "I4": 'implementation "not used" segment present',
    "I6": "implementation dependent segment missing",
    "I7": "implementation loop occurs under minimum times",
    "I8": "implementation segment below minimum use",
    "I9": 'implementation dependent "not used" segment present',
}


@dataclass(frozen=True, slots=True)
class Problem:
    """A validation error: the segment and its position, the element if one is named, and
    pyx12's error code. `message` is pyx12's own text: it quotes the data (a member id, a
    name, a birth date), so it is never printed, logged or raised (nor in the repr)."""

    segment: str | None
    line: int | None
    number: int | None
    element: int | None
    code: str
    message: str = field(repr=False)
    kind: str = ""  # what the code means, when it is known (the 999's code lists)
    name: str = ""  # the element's name in the guide ("Subscriber Last Name"), when known

    def describe(self) -> str:
        """Where and what kind of problem: never the value."""
        where = [f"line {self.line}"] if self.line is not None else []
        if self.segment is not None:
            where.append(f"segment {self.segment}")
        if self.number is not None:
            where.append(f"position {self.number} in its transaction set")
        if self.element is not None:
            where.append(f"element {self.element:02d}" + (f" ({self.name})" if self.name else ""))
        what = f"X12 error {self.code}" + (f" ({self.kind})" if self.kind else "")
        return f"{', '.join(where) or 'interchange'}: {what}"


@dataclass(frozen=True, slots=True)
class Interchange:
    """A validated interchange: `valid` is pyx12's verdict; `acknowledgement` is the 999
    pyx12 wrote for it (empty when it could not tell the functional group)."""

    segments: list[Segment] = field(repr=False)
    valid: bool
    problems: list[Problem]
    acknowledgement: str = field(repr=False)  # the 999 copies bad values (IK404)
    control_number: str | None = None
    transaction_set: str | None = None  # ST01: 837
    sender: str | None = None  # ISA06
    # the segments as sent (without terminator), segment `line` at texts[line - first_line]
    texts: tuple[str, ...] = field(default=(), repr=False)
    first_line: int = 1
    separator: str = "*"  # ISA's 4th character
    terminator: str = "~"  # ISA's 106th character

    def header(self, element: int) -> str:
        """ISA element `element` without its padding ("" when there is no ISA)."""
        isa = self.segments[0] if self.segments and self.segments[0].id == "ISA" else None
        return ((isa.value(element) if isa is not None else None) or "").strip()

    def text_at(self, line: int) -> str:
        return self.texts[line - self.first_line]


@dataclass(frozen=True, slots=True)
class Piece:
    """A part of a record: an ISA...IEA envelope (`envelope`), or bytes outside any."""

    start: int  # byte offset in the record
    data: bytes
    envelope: bool

    @property
    def end(self) -> int:
        return self.start + len(self.data)


def _isa_at(raw: bytes, at: int) -> bool:
    """An ISA segment starts at `at`: `ISA` and a separator (not a letter, digit or space)."""
    separator = raw[at + 3 : at + 4]
    return (
        raw[at : at + 3] == b"ISA"
        and len(separator) == 1
        and not separator.isalnum()
        and separator not in _BETWEEN
    )


def _envelope_end(raw: bytes, at: int) -> int:
    """Where the envelope starting at `at` ends: after its IEA segment's terminator; without
    an IEA, at the next ISA that starts a segment, else at the end of the record."""
    if len(raw) < at + ISA_LENGTH:
        return len(raw)
    separator, terminator = re.escape(raw[at + 3 : at + 4]), re.escape(raw[at + 105 : at + 106])
    iea = re.compile(
        terminator + rb"[\r\n]*IEA" + separator + rb"[^" + terminator + rb"]*" + terminator
    )
    found = iea.search(raw, at + 105)
    if found is not None:
        return found.end()
    following = re.compile(terminator + rb"[\r\n]*ISA" + separator).search(raw, at + 105)
    return following.start() + 1 if following is not None else len(raw)


def _next_isa(raw: bytes, at: int) -> int:
    found = raw.find(b"ISA", at)
    while found != -1 and not _isa_at(raw, found):
        found = raw.find(b"ISA", found + 1)
    return len(raw) if found == -1 else found


def pieces_of(raw: bytes) -> list[Piece]:
    """The record's envelopes and the runs of bytes outside them, in order."""
    pieces: list[Piece] = []
    at = len(BYTE_ORDER_MARK) if raw.startswith(BYTE_ORDER_MARK) else 0
    while at < len(raw):
        between = _SPACES.match(raw, at)
        if between is not None:
            at = between.end()
        elif _isa_at(raw, at):
            end = _envelope_end(raw, at)
            pieces.append(Piece(at, raw[at:end], envelope=True))
            at = end
        else:  # up to the next ISA: everything in between is outside an envelope
            end = _next_isa(raw, at + 1)
            pieces.append(Piece(at, raw[at:end], envelope=False))
            at = end
    return pieces


def read_interchange(text: str, first_line: int = 1) -> Interchange:
    """Validate `text` (one interchange) and keep its segments; their `line` is counted from
    `first_line` (the line of the record the interchange starts at)."""
    segments: list[Segment] = []
    shift = first_line - 1

    def keep(seg: Any, src: Any, node: Any, valid: bool) -> None:
        parent = node.get_parent() if node is not None else None
        segments.append(
            Segment(
                id=seg.get_seg_id() or "",
                loop=getattr(parent, "id", None) or "",
                values={ref: value for ref, _, _, value in seg.values_iterator()},
                number=src.get_seg_count(),
                line=src.get_cur_line() + shift,
            )
        )

    sent = text
    sent_as: dict[str, str] = {}
    for later, earlier in READ_AS.items():
        if later in text:
            text = text.replace(later, earlier)
            sent_as[earlier] = later
    acknowledgement, errors = io.StringIO(), io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.params(),
            io.StringIO(text),
            acknowledgement,
            None,
            None,
            errors,
            callback=keep,
        )
    except Exception as error:  # pyx12 raises for an unknown version or a broken envelope
        return Interchange(
            segments=[],
            valid=False,
            problems=[_refusal(error)],
            acknowledgement="",
        )
    problems = [
        dataclasses.replace(p, line=p.line + shift) if p.line is not None else p
        for p in list(_problems(errors.getvalue()))[:MAX_PROBLEMS]
    ]
    answer = acknowledgement.getvalue()
    for earlier, later in sent_as.items():  # the 999 names the version the sender used
        answer = answer.replace(earlier, later)
    if not segments:
        valid = False
        problems = problems or [
            Problem(None, None, None, None, "X12", "", "not an X12 interchange (no ISA segment)")
        ]
    first = {seg.id: seg for seg in reversed(segments)}
    terminator = text[ISA_LENGTH - 1] if len(text) >= ISA_LENGTH else "~"
    return Interchange(
        segments=segments,
        valid=bool(valid) and not problems,
        problems=problems,
        acknowledgement=answer,
        control_number=first["ISA"].value(13) if "ISA" in first else None,
        transaction_set=first["ST"].value(1) if "ST" in first else None,
        sender=(first["ISA"].value(6) or "").strip() if "ISA" in first else None,
        texts=tuple(t.lstrip("\r\n") for t in sent.split(terminator)),
        first_line=first_line,
        separator=sent[3] if len(sent) > 3 else "*",
        terminator=terminator,
    )


def _refusal(error: Exception) -> Problem:
    """pyx12's exception as a problem: its text quotes the segment (any value in it), so
    only its kind is said."""
    text = str(error)
    kind = type(error).__name__
    if text.startswith("Map not found"):
        return Problem("GS", None, None, None, kind, text, "no 005010 guide for GS01/GS08")
    if "ISA" in text:
        return Problem("ISA", 1, None, None, "ISA", text, "not an X12 interchange")
    return Problem(None, None, None, None, kind, text, "pyx12 could not read the interchange")


def _problems(report: str) -> Iterator[Problem]:
    """pyx12's JSON error report, flattened: interchange, group, transaction set, segment
    and element errors, each with the segment and position it names."""
    if not report.strip():
        return
    document = json.loads(report)
    for isa in document.get("interchanges", []):
        yield from _listed(isa, "ISA", isa.get("cur_line"), None, None)
        for group in isa.get("groups", []):
            yield from _listed(group, "GS", group.get("cur_line"), None, None)
            for transaction in group.get("transactions", []):
                yield from _listed(transaction, "ST", transaction.get("cur_line"), None, None)
                for seg in transaction.get("segments", []):
                    seg_id, line, count = (
                        seg.get("seg_id"),
                        seg.get("cur_line"),
                        seg.get("seg_count"),
                    )
                    yield from _listed(seg, seg_id, line, count, None)
                    for element in seg.get("elements", []):
                        yield from _listed(element, seg_id, line, count, element.get("ele_pos"))


def _listed(
    node: dict[str, Any], segment: str | None, line: Any, number: Any, element: Any
) -> Iterator[Problem]:
    codes = ELEMENT_ERRORS if element is not None else SEGMENT_ERRORS if number else {}
    for error in node.get("errors", []):
        code = str(error.get("err_cde", ""))
        yield Problem(
            segment,
            int(line) if line is not None else None,
            int(number) if number is not None else None,
            int(element) if element is not None else None,
            code,
            str(error.get("err_str", "")),
            codes.get(code, ""),
            _element_name(str(error.get("err_str", ""))) if element is not None else "",
        )


# pyx12's element messages start with the element's name from its map, before any value
_ELEMENT_NAME = re.compile(
    r'Data element "([A-Za-z0-9 ,/()\'-]{1,80})" \([A-Z][A-Z0-9]{1,2}[0-9]{2}\)'
)


def _element_name(message: str) -> str:
    """The guide's name of the element a pyx12 message is about (read from the start of the
    message only: what follows quotes the value)."""
    found = _ELEMENT_NAME.match(message)
    return found.group(1) if found is not None else ""


def decoded(raw: bytes) -> str | None:
    """X12 text from bytes: UTF-8 (005010's extended character set), a byte-order mark
    dropped; None when the bytes are not text."""
    try:
        return raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return None


def interchange_of(raw: bytes, first_line: int = 1) -> Interchange:
    """Bytes → a validated interchange (not text: invalid, with no 999)."""
    text = decoded(raw)
    if text is None:
        return Interchange(
            [], False, [Problem(None, None, None, None, "X12", "", "not UTF-8 text")], ""
        )
    return read_interchange(text, first_line)


def refusal(interchange: Interchange) -> list[str]:
    """Why an interchange cannot be converted (empty when it can)."""
    if not interchange.valid:
        return [p.describe() for p in interchange.problems] or ["invalid X12"]
    if interchange.transaction_set != "837":
        return [f"transaction set {interchange.transaction_set} is not an 837"]
    return []
