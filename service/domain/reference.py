"""Reference facts the edits stand on, as effective-dated rows with source and confidence.

Pure types and look-ups only; reading the tables from disk is in `service.adapters`.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeVar

from contracts import Evidence, ReferenceSource
from contracts.vocabulary import Confidence

CodeKind = Literal["pci_base", "branch_addon", "addon", "diagnostic", "pci_other"]
"""`pci_other`: a coronary intervention that is not a PCI base code (0913T, a drug-coated
balloon reported on its own): no territory group, no derivation."""
Participation = Literal["non_qualifying_apm", "qualifying_apm"]


@dataclass(frozen=True, slots=True)
class Provenance:
    table: str
    key: str
    effective_from: date
    effective_to: date | None
    source: str
    confidence: Confidence
    evidence: Evidence = field(init=False, compare=False, repr=False)
    """What a finding that stands on this row shows of it (built once, with the row)."""

    def __post_init__(self) -> None:
        evidence = Evidence(
            table=self.table, key=self.key, source=self.source, confidence=self.confidence
        )
        object.__setattr__(self, "evidence", evidence)

    def covers(self, service_date: date) -> bool:
        return self.effective_from <= service_date and (
            self.effective_to is None or service_date <= self.effective_to
        )


@dataclass(frozen=True, slots=True)
class CodeRow:
    code: str
    kind: CodeKind
    deleted: bool
    coronary: bool
    graft: bool
    requires: str
    cpt_analogue: str
    description: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class RankRow:
    code: str
    rank: int
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class RvuRow:
    code: str
    work_rvu: Decimal | None
    total_rvu: Decimal | None
    """Facility total (the setting PCI is performed in). Both None in a row that carries only
    indicators (PC/TC, MULT PROC) carried forward from an earlier year: never priced from."""
    provenance: Provenance
    status: str = ""
    """PFS status code (A active, B bundled, C carrier-priced, ...); "" when not published."""
    facility_pe_rvu: Decimal | None = None
    malpractice_rvu: Decimal | None = None
    multiple_procedure: str = ""
    """PFS MULT PROC indicator (2: standard multiple-procedure reduction); "" when unknown."""
    modifier: str = ""
    """The PFS row's MOD cell: "" for the global row, "26" professional component, "TC"
    technical component (CMS publishes a row for each of a PC/TC-split code)."""
    pctc_indicator: str = ""
    """PFS PCTC IND (1: the code splits into a professional and a technical component, so a
    physician at a facility bills 26); "" when not published for the row."""


@dataclass(frozen=True, slots=True)
class ConversionFactorRow:
    participation: Participation
    conversion_factor: Decimal
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class OppsRow:
    code: str
    status_indicator: str
    apc: str
    payment: Decimal
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class AscRow:
    code: str
    payment: Decimal | None
    """None for a packaged procedure (payment indicator N1): no separate payment."""
    provenance: Provenance
    payment_indicator: str = ""
    multiple_procedure_discounting: bool | None = None


@dataclass(frozen=True, slots=True)
class MueRow:
    code: str
    value: int
    adjudication_indicator: int
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class PtpRow:
    column_1: str
    column_2: str
    modifier_indicator: Literal["0", "1", "9"]
    provenance: Provenance


CONTRACTOR_DEFINED = "CCCCC"
"""An AOC row's primary when CMS names none: the contractor (MAC) defines the primaries."""


@dataclass(frozen=True, slots=True)
class AocRow:
    """An NCCI add-on code edit: the add-on is paid with this primary on the same date
    (edit type 1; type 3 lists some primaries, the MAC may accept others) or with a primary
    the MAC defines (type 2, primary CCCCC). The provenance's dates are the pair's."""

    addon: str
    primary: str
    edit_type: Literal[1, 2, 3]
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class DerivationRow:
    """A documented condition and the base codes it leads to, in priority order."""

    priority: int
    condition: str
    expected_codes: tuple[str, ...]
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class LocalityRow:
    """A Medicare payment locality and its geographic practice cost indices (GPCI)."""

    carrier: str
    locality: str
    name: str
    work_gpci: Decimal
    practice_expense_gpci: Decimal
    malpractice_gpci: Decimal
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class ZipRow:
    """A ZIP code's carrier and payment locality."""

    zip_code: str
    carrier: str
    locality: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class ZipTable:
    """One ZIP-to-locality file: ~43,000 ZIP codes onto ~110 (carrier, locality) pairs,
    kept as a dict of shared pairs (a row object per ZIP would cost ~25 MB)."""

    localities: Mapping[str, tuple[str, str]]
    provenance: Provenance

    def row(self, zip_code: str) -> ZipRow | None:
        found = self.localities.get(zip_code)
        return None if found is None else ZipRow(zip_code, *found, self.provenance)


@dataclass(frozen=True, slots=True)
class DiagnosisRow:
    """A documented condition and an ICD-10-CM code that reports it."""

    condition: str
    diagnosis: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class CodeSetRow:
    """A code that belongs to a named set an edit asks about (code_sets.csv)."""

    set_name: str
    code: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class SegmentRow:
    segment: str
    territory: str
    provenance: Provenance


T = TypeVar("T")
RowT = TypeVar(
    "RowT",
    CodeRow,
    RankRow,
    RvuRow,
    OppsRow,
    AscRow,
    MueRow,
    SegmentRow,
    ConversionFactorRow,
    PtpRow,
    LocalityRow,
    DiagnosisRow,
    CodeSetRow,
    AocRow,
)


def index_by(rows: Iterable[RowT], key: str) -> dict[str, tuple[RowT, ...]]:
    indexed: dict[str, list[RowT]] = {}
    for row in rows:
        indexed.setdefault(getattr(row, key), []).append(row)
    return {name: tuple(group) for name, group in indexed.items()}


# A memo of look-ups in frozen tables: (table, key, date) → row. Claims carry few distinct
# dates and codes, so it stays small; the bound keeps a stream of odd dates from growing it.
_MEMO_LIMIT = 200_000
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Ruleset:
    """One ruleset's tables (a folder under reference/)."""

    version: str
    effective_from: date
    effective_to: date | None
    codes: Mapping[str, tuple[CodeRow, ...]]
    ranks: Mapping[str, tuple[RankRow, ...]]
    rvus: Mapping[str, tuple[RvuRow, ...]]
    conversion_factors: Mapping[str, tuple[ConversionFactorRow, ...]]
    opps: Mapping[str, tuple[OppsRow, ...]]
    asc: Mapping[str, tuple[AscRow, ...]]
    mue_practitioner: Mapping[str, tuple[MueRow, ...]]
    mue_outpatient: Mapping[str, tuple[MueRow, ...]]
    ptp_practitioner: Mapping[tuple[str, str], tuple[PtpRow, ...]]
    ptp_outpatient: Mapping[tuple[str, str], tuple[PtpRow, ...]]
    segments: Mapping[str, tuple[SegmentRow, ...]]
    derivation: tuple[DerivationRow, ...] = ()
    des_code_for: Mapping[str, str] = field(default_factory=dict)
    ptp_codes: frozenset[str] = frozenset()
    """Every code that stands in some PTP row (either column, either table)."""
    localities: Mapping[tuple[str, str], tuple[LocalityRow, ...]] = field(default_factory=dict)
    zip_tables: tuple[ZipTable, ...] = ()
    sources: tuple[ReferenceSource, ...] = ()
    """The files this ruleset's tables were read from (named in every outcome)."""
    diagnoses: Mapping[str, tuple[DiagnosisRow, ...]] = field(default_factory=dict)
    """Condition → the ICD-10-CM codes that report it."""
    code_sets: Mapping[tuple[str, str], tuple[CodeSetRow, ...]] = field(default_factory=dict)
    """(set, code) → its rows: routine PCI components, add-ons that need a vessel modifier."""
    aoc: Mapping[str, tuple[AocRow, ...]] = field(default_factory=dict)
    """Add-on code → its NCCI add-on code edit rows (one per primary), from CMS's workbook."""
    # Not an init field: a ruleset made from another (dataclasses.replace, as the official
    # files do when they replace tables) starts with an empty memo, never the other's answers.
    _memo: dict[tuple[Hashable, ...], object] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def _in_force(
        self, name: str, rows: Mapping[Any, tuple[RowT, ...]], key: Any, service_date: date
    ) -> RowT | None:
        memo_key = (name, key, service_date)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            return self._found(memo_key, rows, key, service_date)
        return found  # type: ignore[return-value]

    def _found(
        self,
        memo_key: tuple[Hashable, ...],
        rows: Mapping[Any, tuple[RowT, ...]],
        key: Any,
        service_date: date,
    ) -> RowT | None:
        """`rows[key]`'s row in force on the date, looked up and kept under `memo_key` (the
        look-ups called most, ~20 times a claim, read the memo themselves: flat keys, one
        call)."""
        found = next((r for r in rows.get(key, ()) if r.provenance.covers(service_date)), None)
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[memo_key] = found
        return found

    def covers(self, service_date: date) -> bool:
        return self.effective_from <= service_date and (
            self.effective_to is None or service_date <= self.effective_to
        )

    def code(self, code: str, service_date: date) -> CodeRow | None:
        memo_key = ("code", code, service_date)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            return self._found(memo_key, self.codes, code, service_date)
        return found  # type: ignore[return-value]

    def rank(self, code: str, service_date: date) -> RankRow | None:
        return self._in_force("rank", self.ranks, code, service_date)

    def rvu(self, code: str, service_date: date, modifier: str = "") -> RvuRow | None:
        """The code's PFS row for the date: the global row, or with `modifier` ("26", "TC")
        that component's row (rows of all modifiers are indexed under the code)."""
        memo_key = ("rvu", code, modifier, service_date)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            found = next(
                (
                    r
                    for r in self.rvus.get(code, ())
                    if r.modifier == modifier and r.provenance.covers(service_date)
                ),
                None,
            )
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[memo_key] = found
        return found  # type: ignore[return-value]

    def conversion_factor(
        self, participation: Participation, service_date: date
    ) -> ConversionFactorRow | None:
        return self._in_force("factor", self.conversion_factors, participation, service_date)

    def opps_row(self, code: str, service_date: date) -> OppsRow | None:
        return self._in_force("opps", self.opps, code, service_date)

    def asc_row(self, code: str, service_date: date) -> AscRow | None:
        return self._in_force("asc", self.asc, code, service_date)

    def mue(self, code: str, service_date: date, setting: str) -> MueRow | None:
        memo_key = ("mue", code, setting == "professional", service_date)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            table = self.mue_practitioner if setting == "professional" else self.mue_outpatient
            return self._found(memo_key, table, code, service_date)
        return found  # type: ignore[return-value]

    def ptp(self, column_1: str, column_2: str, service_date: date, setting: str) -> PtpRow | None:
        memo_key = ("ptp", column_1, column_2, setting == "professional", service_date)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            table = self.ptp_practitioner if setting == "professional" else self.ptp_outpatient
            return self._found(memo_key, table, (column_1, column_2), service_date)
        return found  # type: ignore[return-value]

    def once(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """A value derived from this (frozen) ruleset's tables for `key`, computed on first
        use and kept while the memo has room."""
        memo_key = (name, key, date.min)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            found = compute()
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[memo_key] = found
        return found  # type: ignore[return-value]

    def locality_of(
        self, zip_code: str, service_date: date
    ) -> tuple[ZipRow, LocalityRow | None] | None:
        """The ZIP's carrier and locality, and that locality's GPCI row if one is loaded."""
        table = next((t for t in self.zip_tables if t.provenance.covers(service_date)), None)
        found = table.row(zip_code[:5]) if table is not None else None
        if found is None:
            return None
        key = (found.carrier, found.locality)
        return found, self._in_force("gpci", self.localities, key, service_date)

    def asc_list_covers(self, service_date: date) -> bool:
        """Whether an ASC covered procedures list is loaded for the date."""
        return self.once(
            "asc_list",
            service_date,
            lambda: any(
                r.provenance.covers(service_date) for rows in self.asc.values() for r in rows
            ),
        )

    def in_code_set(self, set_name: str, code: str, service_date: date) -> CodeSetRow | None:
        memo_key = ("code_set", set_name, code, service_date)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            return self._found(memo_key, self.code_sets, (set_name, code), service_date)
        return found  # type: ignore[return-value]

    def primaries_of(self, addon: str, service_date: date) -> tuple[AocRow, ...]:
        """The add-on's AOC rows in force on the date (none: not an add-on CMS lists)."""
        memo_key = ("aoc", addon, service_date)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            found = tuple(r for r in self.aoc.get(addon, ()) if r.provenance.covers(service_date))
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[memo_key] = found
        return found  # type: ignore[return-value]

    def diagnoses_for(self, condition: str, service_date: date) -> tuple[DiagnosisRow, ...]:
        """The diagnosis codes that report a documented condition on the date."""
        return tuple(
            r for r in self.diagnoses.get(condition, ()) if r.provenance.covers(service_date)
        )

    def territory_of_segment(self, segment: str, service_date: date) -> str | None:
        row = self._in_force("segment", self.segments, segment, service_date)
        return row.territory if row else None

    def territories_of_segments(
        self, segments: tuple[str, ...], service_date: date
    ) -> frozenset[str]:
        """The territories the segments lie in (memoized like the single look-ups)."""
        memo_key = ("segments", segments, service_date)
        found = self._memo.get(memo_key)
        if found is None:
            named = (self.territory_of_segment(s, service_date) for s in segments)
            found = frozenset(t for t in named if t is not None)
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[memo_key] = found
        return found  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ReferenceData:
    rulesets: tuple[Ruleset, ...]
    known_codes: frozenset[str]
    coronary_codes: frozenset[str]
    fingerprint: str = ""
    # Files in the official-files directory that matched no known layout (not loaded).
    ignored_files: tuple[str, ...] = ()
    origins: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Ruleset version → table → the official files its rows come from (and, for a partial
    release, the codes that kept shipped rows); a table not named: the shipped set."""
    partial: tuple[str, ...] = ()
    """One line per table an official release fed without a row for some code the shipped
    table has (loaded only when the operator accepts partial releases)."""
    # Memos, not init fields: a ReferenceData made from another (dataclasses.replace) starts
    # empty instead of answering with the other's rulesets.
    _by_date: dict[date, Ruleset | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _lines: dict[tuple[str, date], tuple[Ruleset | None, CodeRow | None, bool]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def ruleset_for(self, service_date: date) -> Ruleset | None:
        # A memo of a pure function of frozen tables (dates seen are few per day of claims).
        if service_date in self._by_date:
            return self._by_date[service_date]
        found = next((r for r in self.rulesets if r.covers(service_date)), None)
        if len(self._by_date) < 100_000:
            self._by_date[service_date] = found
        return found

    def knows(self, code: str) -> bool:
        return code in self.known_codes

    def for_line(
        self, code: str, service_date: date
    ) -> tuple[Ruleset | None, CodeRow | None, bool]:
        """A line's ruleset (of its date), its code's row in it, and whether the code is
        known: the three look-ups every working line starts from, memoized per (code, date)."""
        key = (code, service_date)
        found = self._lines.get(key)
        if found is None:
            ruleset = self.ruleset_for(service_date)
            row = ruleset.code(code, service_date) if ruleset is not None else None
            found = (ruleset, row, code in self.known_codes)
            if len(self._lines) < _MEMO_LIMIT:
                self._lines[key] = found
        return found

    def is_coronary(self, code: str) -> bool:
        return code in self.coronary_codes
