"""evaluate(): one ClaimSubmitted in, exactly one outcome out. Pure and deterministic."""

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache

from contracts import Change, ClaimSubmitted, Finding, LineSnapshot, RulesetRef
from contracts.vocabulary import EventType
from service.domain.canonical import Canonical, canonical
from service.domain.context import EditContext
from service.domain.history import ClaimHistory
from service.domain.needs import claim_facts
from service.domain.outcome import Outcome
from service.domain.policy import DEFAULT_POLICY, EffectivePolicy, Policy
from service.domain.pricing import price
from service.domain.reference import ReferenceData
from service.domain.registry import EditSpec, Firing, ProposedChange, catalog
from service.domain.vocabulary import BLOCKING, SEVERITY_ORDER, x12_paths
from service.domain.working_claim import WorkingClaim

FiringObserver = Callable[[EditSpec, Firing], None]
"""Sees each firing that counts, in the edit's own disposition (before policy)."""
NeedsAudit = Callable[[EditSpec, Firing], None]
"""Told of each firing of an edit whose declared need the claim did not meet (only with
`skip_unneeded=False`, where such an edit still runs): a wrong declaration."""

OUTPUT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:claim-edit:output")
_NAMESPACE_BYTES = OUTPUT_NAMESPACE.bytes


def output_event_id(claim_digest: bytes, ruleset: RulesetRef, policy_digest: bytes = b"") -> str:
    """The output's id: RFC 4122 UUIDv5 in OUTPUT_NAMESPACE over the submitted event's
    content (its canonical JSON's sha256), the ruleset version, the sha256 of every source
    file the ruleset was read from, and the policy's digest. An exact replay gets the same
    id; another claim sent under the same `event_id`, a reference swap or a policy change
    gets another. Computed as RFC 4122 does it, without uuid.UUID objects (measured: most of
    uuid5's cost per claim)."""
    name = b"\x1f".join(
        (
            claim_digest,
            (ruleset.version or "-").encode(),
            *(source.sha256.encode() for source in ruleset.sources),
            policy_digest,
        )
    )
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(slots=True)
class _Ledger:
    """Findings and changes as the edits produce them, after policy."""

    policy: EffectivePolicy
    x12_paths: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    changes: list[tuple[Change, bool]] = field(default_factory=list)
    grew: bool = False
    """Whether a correction gave a line a code or modifiers since the claim's facts were
    taken (a removal only takes facts away: the facts taken stay enough to run on)."""

    def record(self, spec: EditSpec, firing: Firing, ctx: EditContext) -> bool:
        """Apply policy and any correction; whether a finding was recorded (False: off)."""
        disposition = self.policy.disposition(
            spec.edit_id, firing.disposition, bool(firing.changes)
        )
        if disposition is None:
            return False
        apply = disposition == "correction"
        # A removal proposed by a blocking finding owns the line too, so no later edit
        # proposes removing it again (docs/edit-catalog.md: the first edit that removes a
        # line owns it).
        owns_removal = apply or disposition in BLOCKING
        for proposed in firing.changes:
            change = _apply(proposed, spec.edit_id, ctx, apply, owns_removal)
            self.changes.append((change, apply))
            if apply and proposed.action != "remove_line":
                self.grew = True
        # Warnings and info carry no CARC/RARC/group code: on a remittance those read as
        # a denial, and a CARC belongs to a line or claim that is not paid.
        informational = disposition in ("info", "warning")
        lines = firing.lines
        self.findings.append(
            Finding(
                edit_id=spec.edit_id,
                disposition=disposition,
                line_numbers=tuple([line.line_number for line in lines]),
                message=firing.message,
                fix=firing.fix,
                carc=None if informational else spec.carc,
                rarc=None if informational else (firing.rarc or spec.rarc),
                group_code=None if informational else spec.group_code,
                x12_path=self.x12_paths[firing.element or spec.element],
                citation=spec.citation,
                evidence=tuple([provenance.evidence for provenance in firing.evidence]),
            )
        )
        ctx.flagged.setdefault(spec.edit_id, set()).update([line.index for line in lines])
        return True

    @property
    def blocked(self) -> bool:
        return any(f.disposition in BLOCKING for f in self.findings)


def _apply(
    proposed: ProposedChange, edit_id: str, ctx: EditContext, apply: bool, owns_removal: bool
) -> Change:
    line = proposed.line
    before = line.state()
    working = ctx.working
    if proposed.action == "remove_line":
        if owns_removal:
            working.remove(line, edit_id)
        return Change(
            edit_id=edit_id,
            line_number=line.line_number,
            action="remove_line",
            before=before,
            after=None,
            reason=proposed.reason,
        )
    if apply:
        if proposed.procedure_code is not None:
            working.replace_code(line, proposed.procedure_code)
        if proposed.modifiers is not None:
            working.set_modifiers(line, proposed.modifiers)
        if proposed.units is not None:
            working.set_units(line, proposed.units)
        after = line.state()
    else:
        after = LineSnapshot(
            procedure_code=proposed.procedure_code or before.procedure_code,
            modifiers=proposed.modifiers if proposed.modifiers is not None else before.modifiers,
            units=proposed.units if proposed.units is not None else before.units,
        )
    return Change(
        edit_id=edit_id,
        line_number=line.line_number,
        action=proposed.action,
        before=before,
        after=after,
        reason=proposed.reason,
    )


def evaluate(
    event: ClaimSubmitted,
    reference: ReferenceData,
    policy: Policy = DEFAULT_POLICY,
    history: ClaimHistory | None = None,
    *,
    observe: FiringObserver | None = None,
    skip_unneeded: bool = True,
    unmet: NeedsAudit | None = None,
    form: Canonical | None = None,
) -> Outcome:
    """Run the claim's edits over it. Output `occurred_at` is stamped by the caller.

    `history` is the patient's claims accepted before this one, as the claim memory gave
    them (service/app/memory.py); None when no memory is configured: the history edits
    (PCI-HIST-*) then report that they were not checked.

    Each line is edited under the ruleset of its own service date: an edit runs when a line
    of the claim falls under one of its rulesets, and on a claim whose lines span rulesets
    (which PCI-CLM-002 rejects) a firing of an edit outside some of them counts only when
    every line it names is under its rulesets. An edit that `halts` stops the run once it
    has recorded a finding.

    An edit runs only where the claim meets its declared need (`EditSpec.needs`), judged on
    the claim's facts, computed once and again after a correction changes the lines;
    `skip_unneeded=False` runs every edit (tests compare the two, and `unmet` hears of a
    firing whose need was not met).

    `form`: the event's canonical JSON when the caller has it already (the claim memory
    keys by its digest); it costs a serialization of the event."""
    claim = event.claim
    working = WorkingClaim(claim, reference)
    ctx = EditContext(
        claim=claim,
        occurred_at=event.occurred_at,
        working=working,
        reference=reference,
        history=history,
    )
    ledger = _Ledger(policy.for_payer(claim.payer.payer_id), x12_paths(claim.setting))
    void = claim.frequency == "void"
    versions = frozenset([line.ruleset.version for line in working.lines if line.ruleset])
    edits = _edits_for(versions)
    needs = _needs_index()
    runnable = _runnable(versions, needs.met(claim_facts(working)))
    for position, (spec, partial) in enumerate(edits):
        if void and not spec.on_void:
            continue
        if ledger.grew:  # a correction gave a line a code or modifiers: facts again
            ledger.grew = False
            runnable = _runnable(versions, needs.met(claim_facts(working)))
        needed = runnable[position]
        if skip_unneeded and not needed:
            continue
        fired = False
        for firing in spec.run(ctx):
            if partial and not _within_rulesets(spec, firing):
                continue
            if unmet is not None and not needed:
                unmet(spec, firing)
            if observe is not None:
                observe(spec, firing)
            fired = ledger.record(spec, firing, ctx) or fired
        if spec.halts and fired:
            break
    ruleset = _ruleset_named(working)
    findings = tuple(sorted(ledger.findings, key=lambda f: SEVERITY_ORDER[f.disposition]))
    rejected = ledger.blocked
    if form is None:
        form = canonical(event)
    billed = claim if rejected else working.billed_claim()
    return Outcome(
        event_type=EventType.REJECTED if rejected else EventType.ENRICHED,
        event_id=output_event_id(form.digest, ruleset, policy.digest),
        source_event_id=event.event_id,
        claim_id=claim.claim_id,
        ruleset=ruleset,
        claim=billed,
        findings=findings,
        changes=tuple(change for change, applied in ledger.changes if rejected or applied),
        pricing=None if rejected or void else price(working),
        claim_json=form.claim_json if billed is claim else None,
    )


@cache
def _edits_for(versions: frozenset[str]) -> tuple[tuple[EditSpec, bool], ...]:
    """The edits that run on a claim whose lines fall under `versions`, each with whether
    it belongs to only some of them. A claim under no ruleset gets every edit (PCI-CLM-001
    rejects it and halts)."""
    if not versions:
        return tuple((spec, False) for spec in catalog())
    return tuple(
        (spec, not versions.issubset(spec.rulesets))
        for spec in catalog()
        if not versions.isdisjoint(spec.rulesets)
    )


@dataclass(frozen=True, slots=True)
class _NeedsIndex:
    """The catalog's needs as bits: one bit per distinct clause (service/domain/needs.py)."""

    fact_bits: dict[str, int]
    """Fact → the clauses it meets."""
    need_bits: dict[str, int]
    """Edit id → the clauses its need holds."""

    def met(self, facts: set[str]) -> int:
        bits = 0
        get = self.fact_bits.get
        for fact in facts:
            bits |= get(fact, 0)
        return bits


@cache
def _needs_index() -> _NeedsIndex:
    clauses: dict[frozenset[str], int] = {}
    need_bits: dict[str, int] = {}
    for spec in catalog():
        bits = 0
        for clause in spec.needs.clauses():
            bits |= 1 << clauses.setdefault(clause, len(clauses))
        need_bits[spec.edit_id] = bits
    fact_bits: dict[str, int] = {}
    for clause, bit in clauses.items():
        for fact in clause:
            fact_bits[fact] = fact_bits.get(fact, 0) | 1 << bit
    return _NeedsIndex(fact_bits, need_bits)


@lru_cache(maxsize=4096)
def _runnable(versions: frozenset[str], met: int) -> tuple[bool, ...]:
    """Whether each edit of `_edits_for(versions)` can fire on a claim that meets the
    clauses `met` (few combinations occur: memoized, bounded)."""
    need_bits = _needs_index().need_bits
    return tuple(
        need_bits[spec.edit_id] & met == need_bits[spec.edit_id] for spec, _ in _edits_for(versions)
    )


def _within_rulesets(spec: EditSpec, firing: Firing) -> bool:
    """Every line the firing names is under one of the edit's rulesets (a claim-level
    firing, naming no line, is the claim's, which has lines under them)."""
    return all(
        line.ruleset is not None and line.ruleset.version in spec.rulesets for line in firing.lines
    )


def _ruleset_named(working: WorkingClaim) -> RulesetRef:
    """The ruleset of the first dated line (a claim spanning two is PCI-CLM-002's)."""
    as_of = min((line.service_date for line in working.lines), default=None)
    ruleset = next((line.ruleset for line in working.lines if line.ruleset), None)
    if ruleset is None:
        return RulesetRef(version=None, as_of=as_of)
    return RulesetRef(version=ruleset.version, as_of=as_of, sources=ruleset.sources)
