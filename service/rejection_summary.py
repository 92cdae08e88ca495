"""What a billing team watches: rejections and dead letters over a time window.

A pure read model over ClaimRejected and DeadLetter documents; `claim-edit rejections`
feeds it from Kafka. It shows claim ids, payers, providers, edit ids and reasons, never
patient data.
"""

from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from service.terminal import to_text

BLOCKING = ("claim_rejection", "line_rejection")


@dataclass(frozen=True, slots=True)
class Seen:
    at: datetime
    kind: str  # "rejected" or the dead letter's error kind
    claim_id: str
    payer_id: str
    rendering_npi: str
    edit_ids: tuple[str, ...]
    reason: str


def _printable(value: object) -> str:
    """Text from an event, safe for a terminal: control characters (an escape sequence in a
    claim id could rewrite the screen) are shown escaped."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(value)
    )


def _seen(document: dict[str, Any], at: datetime) -> Seen | None:
    event_type = document.get("event_type")
    if event_type == "claim.rejected":
        claim = document.get("claim") or {}
        blocking = [f for f in document.get("findings", []) if f.get("disposition") in BLOCKING]
        first = blocking[0] if blocking else {}
        return Seen(
            at=at,
            kind="rejected",
            claim_id=_printable(document.get("claim_id", "?")),
            payer_id=_printable((claim.get("payer") or {}).get("payer_id", "?")),
            rendering_npi=_printable((claim.get("rendering_provider") or {}).get("npi", "?")),
            edit_ids=tuple(dict.fromkeys(_printable(f.get("edit_id")) for f in blocking)),
            reason=_printable(f"{first.get('edit_id', '')}: {first.get('message', '')}").strip(
                ": "
            ),
        )
    if event_type == "claim.dead_letter":
        errors = document.get("errors") or [{}]
        source = document.get("source") or {}
        return Seen(
            at=at,
            kind=f"dead letter ({document.get('error_kind', '?')})",
            claim_id=_printable(source.get("key") or "?"),
            payer_id="-",
            rendering_npi="-",
            edit_ids=(),
            reason=_printable(f"{errors[0].get('loc', '')}: {errors[0].get('msg', '')}"),
        )
    return None


class RejectionSummary:
    def __init__(self, window: timedelta, latest: int = 10) -> None:
        self.window = window
        self.latest = latest
        self.seen: deque[Seen] = deque()

    def add(self, document: dict[str, Any], at: datetime) -> None:
        item = _seen(document, at)
        if item is not None:
            self.seen.append(item)

    def _current(self, now: datetime) -> list[Seen]:
        while self.seen and self.seen[0].at < now - self.window:
            self.seen.popleft()
        return list(self.seen)

    def render(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        items = self._current(now)
        rejected = [i for i in items if i.kind == "rejected"]
        dead = Counter(i.kind for i in items if i.kind != "rejected")
        minutes = int(self.window.total_seconds() // 60)
        parts: list[Any] = [
            Text(f"claim-edit rejections, last {minutes} min (to {now:%Y-%m-%d %H:%M:%S} UTC)"),
            Text(f"rejected claims: {len(rejected)}   dead letters: {sum(dead.values())}\n"),
            self._counts("by edit id", Counter(e for i in rejected for e in i.edit_ids)),
            self._counts("by payer", Counter(i.payer_id for i in rejected)),
            self._counts("by rendering provider (NPI)", Counter(i.rendering_npi for i in rejected)),
            self._counts("dead letters", dead),
        ]
        parts.append(Text(f"latest {min(self.latest, len(items))}:"))
        latest = Table(box=None)
        latest.add_column("time")
        latest.add_column("claim", overflow="fold")  # claim ids in full
        latest.add_column("what", overflow="fold")
        for item in reversed(items[-self.latest :]):
            # Text, not str: rich would read "[/]" in a claim id as markup and raise.
            latest.add_row(f"{item.at:%H:%M:%S}", Text(item.claim_id), Text(item.kind))
            latest.add_row("", Text(item.reason, overflow="fold"), "")
        parts.append(latest)
        return to_text(Group(*parts))

    def tallies(self, now: datetime) -> dict[str, Any]:
        """The counts `render` prints, as data (most frequent first, every one of them)."""
        items = self._current(now)
        rejected = [i for i in items if i.kind == "rejected"]
        return {
            "rejected": len(rejected),
            "by_edit": dict(Counter(e for i in rejected for e in i.edit_ids).most_common()),
            "by_payer": dict(Counter(i.payer_id for i in rejected).most_common()),
            "by_provider": dict(Counter(i.rendering_npi for i in rejected).most_common()),
            "dead_letters": dict(
                Counter(i.kind for i in items if i.kind != "rejected").most_common()
            ),
        }

    @staticmethod
    def _counts(title: str, counts: Counter[str]) -> Group | Text:
        if not counts:
            return Text(f"{title}: none\n")
        table = Table(box=None, show_header=False)
        table.add_column(justify="right")
        table.add_column(overflow="fold")
        for name, count in counts.most_common(8):
            table.add_row(str(count), Text(name))
        return Group(Text(f"{title}:"), table, Text(""))
