"""What a claim must show before an edit can fire: `needs=` in the edit's registration.

Each edit declares the narrowest need that holds on every claim it can fire on, read from
its code (never from a corpus): the line families, codes, modifiers and code sets some
active line must show, and the claim's setting, payer kind, frequency, place of service
or documentation. The engine computes a claim's facts once (again only after a correction
changes the lines) and skips an edit whose need is not met; the default need is always
met. Facts are taken over every line not removed, in rule scope or not, so a need read
from an edit that looks at in-scope lines only is still met wherever the edit can fire.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from contracts.claim import PayerKind, Setting
from service.domain.reference import Ruleset
from service.domain.vocabulary import OPPS_ONLY_PREFIX
from service.domain.working_claim import WorkingClaim, WorkLine

Frequency = Literal["original", "replacement", "void"]

Family = Literal[
    "pci_base",
    "diagnostic",
    "addon",
    "branch_addon",
    "deleted",
    "coded",
    "non_diagnostic",
    "undated",
    "out_of_scope",
    "non_coronary",
    "opps_code",
    "aoc_listed",
    "ptp_pair",
    "shared_territory",
]
FAMILIES: dict[Family, str] = {
    "pci_base": "a PCI base line (codes.csv kind pci_base, not deleted)",
    "diagnostic": "a diagnostic angiography line (kind diagnostic)",
    "addon": "an add-on line (kind addon)",
    "branch_addon": "a branch add-on line (kind branch_addon)",
    "deleted": "a line whose code row is deleted on its date",
    "coded": "a line in rule scope with a code row on its date",
    "non_diagnostic": "a line in rule scope with a code row of a kind other than diagnostic",
    "undated": "a line in rule scope with no code row on its date",
    "out_of_scope": "a line whose code no loaded table knows",
    "non_coronary": "a line whose code is not a coronary procedure",
    "opps_code": f"a line billing an OPPS C-code ({OPPS_ONLY_PREFIX}...)",
    "aoc_listed": "a line whose code has NCCI add-on code edit rows",
    "ptp_pair": "two lines whose codes stand in PTP rows",
    "shared_territory": "two PCI base lines with one date and one coronary territory",
}
"""Line families a need can name, as the facts of a claim's lines (not removed) say."""


@dataclass(frozen=True, slots=True)
class Needs:
    """Every field names a condition; a claim meets the need when it meets all of them.
    An empty field is no condition: `Needs()` is always met."""

    families: frozenset[Family] = frozenset()
    """Each: some line of the family."""
    any_family: frozenset[Family] = frozenset()
    """Some line of one of these families."""
    codes: frozenset[str] = frozenset()
    """Some line billing one of these codes."""
    modifiers: tuple[frozenset[str], ...] = ()
    """Each group: some line carrying one of its modifiers."""
    code_sets: frozenset[str] = frozenset()
    """Each: some line whose code is in the named set of its ruleset (code_sets.csv) on
    some date."""
    settings: frozenset[Setting] = frozenset()
    payer_kinds: frozenset[PayerKind] = frozenset()
    frequencies: frozenset[Frequency] = frozenset()
    places_of_service: frozenset[str] = frozenset()
    documentation: bool | None = None
    """True: the claim carries `procedure`; False: it does not."""

    def clauses(self) -> tuple[frozenset[str], ...]:
        """The need as facts: met when every clause shares a fact with the claim's."""
        found: list[frozenset[str]] = [frozenset([f"family:{f}"]) for f in sorted(self.families)]
        found += [frozenset([f"set:{name}"]) for name in sorted(self.code_sets)]
        found += [frozenset(f"modifier:{m}" for m in group) for group in self.modifiers]
        for prefix, values in (
            ("family", self.any_family),
            ("code", self.codes),
            ("setting", self.settings),
            ("payer", self.payer_kinds),
            ("frequency", self.frequencies),
            ("pos", self.places_of_service),
        ):
            if values:
                found.append(frozenset(f"{prefix}:{value}" for value in values))
        if self.documentation is not None:
            found.append(frozenset(["documentation" if self.documentation else "undocumented"]))
        return tuple(found)

    def met_by(self, facts: set[str] | frozenset[str]) -> bool:
        return all(not clause.isdisjoint(facts) for clause in self.clauses())

    def describe(self) -> str:
        """The need in words (the catalog's "runs when" column)."""
        said = [FAMILIES[f] for f in sorted(self.families)]
        if self.any_family:
            said.append(" or ".join(FAMILIES[f] for f in sorted(self.any_family)))
        if self.codes:
            said.append("a line billing " + " or ".join(sorted(self.codes)))
        said += ["a line carrying " + "/".join(sorted(group)) for group in self.modifiers]
        said += [f"a line in code set {name}" for name in sorted(self.code_sets)]
        for name, values in (
            ("setting", self.settings),
            ("payer kind", self.payer_kinds),
            ("frequency", self.frequencies),
        ):
            if values:
                said.append(f"{name} {' or '.join(sorted(values))}")
        if self.places_of_service:
            said.append("a facility place of service")
        if self.documentation is not None:
            said.append("procedure documentation " + ("sent" if self.documentation else "absent"))
        return "; ".join(said) or "always"


ALWAYS = Needs()


def claim_facts(working: WorkingClaim) -> set[str]:
    """The facts of the working claim as it stands (those no need names included)."""
    claim = working.claim
    facts = set(
        _claim_facts(
            claim.setting,
            claim.payer.kind,
            claim.frequency,
            claim.procedure is not None,
            claim.place_of_service,
        )
    )
    coronary = working.reference.coronary_codes
    ptp_lines = 0
    territories: set[tuple[date, str]] = set()
    for line in working.lines:
        if line.removed_by is None:
            found = _line_facts(line, line.procedure_code in coronary)
            facts.update(found)
            facts.update(_modifier_facts(line.modifiers))
            if _PTP_LINE in found:
                ptp_lines += 1
            if line.is_pci_base and line.territory is not None:
                treated = (line.service_date, line.territory)
                if treated in territories:
                    facts.add("family:shared_territory")
                territories.add(treated)
    if ptp_lines >= 2:
        facts.add("family:ptp_pair")
    return facts


_PTP_LINE = "ptp-line"
"""A line whose code stands in a PTP row (two make the family ptp_pair)."""


@lru_cache(maxsize=256)
def _claim_facts(
    setting: str, payer_kind: str, frequency: str, documented: bool, place: str | None
) -> frozenset[str]:
    return frozenset(
        [
            f"setting:{setting}",
            f"payer:{payer_kind}",
            f"frequency:{frequency}",
            "documentation" if documented else "undocumented",
            *([f"pos:{place}"] if place is not None else []),
        ]
    )


@lru_cache(maxsize=4096)
def _modifier_facts(modifiers: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f"modifier:{m}" for m in modifiers)


def _line_facts(line: WorkLine, coronary: bool) -> frozenset[str]:
    """The facts of one line: a function of its ruleset, code, date and whether the code is
    known and coronary (memoized in the ruleset, as its look-ups are)."""
    ruleset = line.ruleset
    if ruleset is None:
        return _facts_of(line, coronary)
    key = (line.procedure_code, line.service_date, line.known, coronary)
    return ruleset.once("line_facts", key, lambda: _facts_of(line, coronary))


def _facts_of(line: WorkLine, coronary: bool) -> frozenset[str]:
    code = line.procedure_code
    facts = {f"code:{code}"}
    if not line.known:
        facts.add("family:out_of_scope")
    if not coronary:
        facts.add("family:non_coronary")
    if code.startswith(OPPS_ONLY_PREFIX):
        facts.add("family:opps_code")
    ruleset = line.ruleset
    if ruleset is not None:
        facts.update(_code_set_facts(ruleset).get(code, ()))
        if code in ruleset.ptp_codes:
            facts.add(_PTP_LINE)
        if code in ruleset.aoc:
            facts.add("family:aoc_listed")
    row = line.row
    if line.in_scope:
        if row is None:
            facts.add("family:undated")
        else:
            facts.add("family:coded")
            if row.kind != "diagnostic":
                facts.add("family:non_diagnostic")
    if row is not None:
        if row.kind in ("addon", "branch_addon"):
            facts.add(f"family:{row.kind}")
        if row.deleted:
            facts.add("family:deleted")
    if line.is_pci_base:
        facts.add("family:pci_base")
    if line.is_diagnostic:
        facts.add("family:diagnostic")
    return frozenset(facts)


def _code_set_facts(ruleset: Ruleset) -> Mapping[str, frozenset[str]]:
    """Code → the code sets it stands in (on any date), as facts."""

    def build() -> Mapping[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for name, code in ruleset.code_sets:
            found.setdefault(code, set()).add(f"set:{name}")
        return {code: frozenset(names) for code, names in found.items()}

    return ruleset.once("code_set_facts", None, build)
