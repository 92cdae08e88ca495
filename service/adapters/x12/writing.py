"""Writing X12 005010: segments and the ISA/GS/ST envelope around one transaction set.

Separators are the usual ones (`*` element, `:` component, `^` repetition, `~` segment);
values are cleaned of them, so a name or a message can never break the structure.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

ELEMENT, COMPONENT, REPETITION, TERMINATOR = "*", ":", "^", "~"
_SEPARATORS = str.maketrans({ELEMENT: " ", COMPONENT: " ", REPETITION: " ", TERMINATOR: " "})

Element = str | Sequence[str] | None


def clean(value: str) -> str:
    """A value with no separator in it and no line break (005010's extended character set
    keeps lower case)."""
    return " ".join(value.translate(_SEPARATORS).split())


def segment(segment_id: str, *elements: Element) -> str:
    """`segment("SVC", ["HC", "92928", "LD"], "500.00")` → `SVC*HC:92928:LD*500.00~`;
    trailing empty elements and components are dropped, as the standard requires."""
    written: list[str] = []
    for element in elements:
        if element is None:
            written.append("")
        elif isinstance(element, str):
            written.append(clean(element))
        else:
            parts = [clean(part) for part in element]
            while parts and not parts[-1]:
                parts.pop()
            written.append(COMPONENT.join(parts))
    while written and not written[-1]:
        written.pop()
    return ELEMENT.join([segment_id, *written]) + TERMINATOR


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sends to whom, when, under which control number (1..999999999). An answer
    mirrors what it answers: the 837's receiver (ISA07/ISA08, GS03) sends it, to the 837's
    sender (ISA05/ISA06, GS02), with the 837's ISA15."""

    sender: str
    receiver: str
    control_number: int
    at: datetime
    usage: str = "P"  # ISA15: P production, T test
    sender_qualifier: str = "ZZ"  # ISA05
    receiver_qualifier: str = "ZZ"  # ISA07
    application_sender: str | None = None  # GS02; None: the ISA06
    application_receiver: str | None = None  # GS03; None: the ISA08

    def wrap(self, functional_id: str, version: str, transaction: Sequence[str]) -> str:
        """ISA/GS/ST ... SE/GE/IEA around the transaction set's segments (ST and SE are
        added here: `transaction` starts at the segment after ST)."""
        number = f"{self.control_number:09d}"
        set_number = f"{self.control_number % 10000:04d}"
        isa = ELEMENT.join(
            [
                "ISA",
                "00",
                " " * 10,
                "00",
                " " * 10,
                clean(self.sender_qualifier)[:2].ljust(2),
                clean(self.sender)[:15].ljust(15),
                clean(self.receiver_qualifier)[:2].ljust(2),
                clean(self.receiver)[:15].ljust(15),
                self.at.strftime("%y%m%d"),
                self.at.strftime("%H%M"),
                REPETITION,
                "00501",
                number,
                "0",
                self.usage,
                COMPONENT,
            ]
        )
        body = [
            segment("ST", transaction_id(functional_id), set_number, version),
            *transaction,
        ]
        body.append(segment("SE", str(len(body) + 1), set_number))
        return "".join(
            [
                isa + TERMINATOR,
                segment(
                    "GS",
                    functional_id,
                    clean(self.application_sender or self.sender)[:15],
                    clean(self.application_receiver or self.receiver)[:15],
                    self.at.strftime("%Y%m%d"),
                    self.at.strftime("%H%M"),
                    str(self.control_number),
                    "X",
                    version,
                ),
                *body,
                segment("GE", "1", str(self.control_number)),
                segment("IEA", "1", number),
            ]
        )


def transaction_id(functional_id: str) -> str:
    return {"HN": "277", "HC": "837", "FA": "999"}[functional_id]


def amount(value: object) -> str:
    """Money as X12 writes it: no trailing zeros past the point, `500`, `469.28`."""
    text = f"{value}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
