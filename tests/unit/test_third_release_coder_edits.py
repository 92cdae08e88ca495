"""What coders would catch (third release): each additional vessel is another vessel
(PCI-MOD-004), a stented bifurcation is 92930 (PCI-DOC-001), the fix of a diagnostic
catheterisation kept beside a PCI (PCI-BUND-001), pairs called NCCI only when they are
(PCI-BUND-002), no remittance codes on warnings, and the RARC of a bad NPI (PCI-CLM-002)."""

import pytest

from contracts import ClaimSubmitted
from service.domain.reference import PtpRow
from tests.builders import event, lesion, line, procedure
from tests.outcomes import assert_edit, dispositions, final_lines, findings, run

# PCI-MOD-004: +92979 / +93572 are "each additional vessel" -------------------------------

ADDITIONAL_VESSEL: list[
    tuple[str, ClaimSubmitted, list[str], list[tuple[str, list[str]]] | None]
] = [
    (
        "IVUS of the additional vessel naming the first vessel again",
        event(line("92928", "LD"), line("92920", "RC"), line("92978", "LD"), line("92979", "LD")),
        ["line_rejection"],
        None,
    ),
    (
        "IVUS of the additional vessel naming another vessel",
        event(line("92928", "LD"), line("92920", "RC"), line("92978", "LD"), line("92979", "RC")),
        [],
        None,
    ),
    (
        "FFR of the additional vessel naming the first vessel again",
        event(line("92928", "LD"), line("93571", "LD"), line("93572", "LD")),
        ["line_rejection"],
        None,
    ),
    (
        "two additional-vessel lines naming the same vessel",
        event(
            line("92928", "LD"),
            line("92920", "RC"),
            line("92978", "LD"),
            line("92979", "RC"),
            line("92979", "RC"),
        ),
        ["line_rejection"],
        None,
    ),
    (
        "additional-vessel FFR without a modifier takes the PCI vessel the first FFR left",
        event(line("92928", "LD"), line("92920", "RC"), line("93571", "LD"), line("93572")),
        ["correction"],
        # (26 appended by PCI-MOD-006: a physician's claim at POS 22)
        [("92928", ["LD"]), ("92920", ["RC"]), ("93571", ["LD", "26"]), ("93572", ["RC", "26"])],
    ),
    (
        "additional-vessel IVUS without a modifier when the one PCI vessel is the first's",
        event(line("92928", "LD"), line("92978", "LD"), line("92979")),
        ["line_rejection"],
        None,
    ),
    (
        "first-vessel IVUS still takes the one PCI vessel",
        event(line("92928", "LD"), line("92978")),
        ["correction"],
        [("92928", ["LD"]), ("92978", ["LD", "26"])],
    ),
]


@pytest.mark.parametrize(("name", "claim_event", "expected", "lines_after"), ADDITIONAL_VESSEL)
def test_an_additional_vessel_add_on_names_a_vessel_other_than_the_first(
    name: str,
    claim_event: ClaimSubmitted,
    expected: list[str],
    lines_after: list[tuple[str, list[str]]] | None,
) -> None:
    assert_edit(claim_event, "PCI-MOD-004", expected, lines_after, name)


def test_the_same_vessel_twice_names_the_line_of_the_first_vessel() -> None:
    outcome = run(event(line("92928", "LD"), line("93571", "LD"), line("93572", "LD")))
    (finding,) = findings(outcome, "PCI-MOD-004")
    assert finding.line_numbers == (3,)
    assert "line 2" in finding.message and "LD" in finding.message
    assert (finding.carc, finding.rarc) == ("4", "N822")


def test_a_vessel_taken_from_the_documentation_is_not_called_the_claims_pci() -> None:
    outcome = run(
        event(
            line("93458", "59"),
            line("93571"),
            proc=procedure(lesion("1"), exception="condition_changed"),
        )
    )
    (finding,) = findings(outcome, "PCI-MOD-004")
    assert "PCI" not in finding.message
    assert "documented lesions lie in RC" in finding.message
    assert final_lines(outcome)[1] == ("93571", ["RC", "26"])  # 26: PCI-MOD-006, POS 22


def test_a_vessel_taken_from_the_pci_line_says_so() -> None:
    (finding,) = findings(run(event(line("92928", "LD"), line("92978"))), "PCI-MOD-004")
    assert "The claim's PCI is in LD." in finding.message


# PCI-DOC-001: 92930 covers one lesion documented as a bifurcation -------------------------

BIFURCATION: list[tuple[str, ClaimSubmitted, list[str]]] = [
    (
        "one stented bifurcation lesion billed 92930",
        event(
            line("92930", "LD"),
            proc=procedure(lesion("12", treatments=("stent",), line_number=1, bifurcation=True)),
        ),
        [],
    ),
    (
        "one stented bifurcation lesion billed 92928",
        event(
            line("92928", "LD"),
            proc=procedure(lesion("12", treatments=("stent",), line_number=1, bifurcation=True)),
        ),
        ["line_rejection"],
    ),
    (
        "one stented lesion that is not a bifurcation billed 92930",
        event(line("92930", "LD"), proc=procedure(lesion("12", treatments=("stent",)))),
        ["line_rejection"],
    ),
    (
        "a bifurcation treated by atherectomy and stent stays 92933",
        event(
            line("92933", "LD"),
            proc=procedure(
                lesion(
                    "12",
                    treatments=("atherectomy", "stent"),
                    line_number=1,
                    bifurcation=True,
                    calcification="severe",
                )
            ),
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "claim_event", "expected"), BIFURCATION)
def test_a_stented_bifurcation_is_92930_in_2026(
    name: str, claim_event: ClaimSubmitted, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), "PCI-DOC-001") == expected, name


def test_a_stented_bifurcation_billed_92928_is_led_to_92930() -> None:
    outcome = run(
        event(
            line("92928", "LD"),
            proc=procedure(lesion("12", treatments=("stent",), line_number=1, bifurcation=True)),
        )
    )
    (finding,) = findings(outcome, "PCI-DOC-001")
    assert finding.fix == "Bill 92930."
    assert "stented bifurcation" in finding.message


def test_a_lesion_is_not_a_bifurcation_unless_documented_so() -> None:
    claim = event(line("92928", "LD"), proc=procedure(lesion("12")))
    assert claim.claim.procedure is not None
    assert claim.claim.procedure.lesions[0].bifurcation is False


# PCI-BUND-001: the fix names the exception and 59/XU; the guide's guideline 4 ------------


def test_a_bundled_diagnostic_cath_fix_names_the_exception_and_59_or_xu_on_its_line() -> None:
    (finding,) = findings(run(event(line("93459"), line("92924", "RC"))), "PCI-BUND-001")
    assert finding.fix is not None
    assert "Remove line 1" in finding.fix
    assert "59 or XU" in finding.fix and "93459-XU" in finding.fix
    assert "no prior study" in finding.fix and "inadequate visualization" in finding.fix
    assert "guideline 4" in finding.citation and "guideline 3" not in finding.citation
    assert "NCCI Policy Manual ch. XI" in finding.citation


# PCI-BUND-002: a derived pair is not an NCCI pair ----------------------------------------


def test_a_shipped_pair_is_called_a_derived_pair_not_ncci() -> None:
    outcome = run(event(line("92933", "LD"), line("92928")))
    (finding,) = findings(outcome, "PCI-BUND-002")
    assert "NCCI" not in finding.message
    assert finding.message.startswith("Derived pair (PCI hierarchy) 92933/92928")
    assert "NCCI" not in outcome.changes[0].reason
    (bypassed,) = findings(run(event(line("92933", "LD"), line("92928", "RC"))), "PCI-BUND-002")
    assert bypassed.message.startswith("Derived pair (PCI hierarchy)")


def test_a_pair_from_a_cms_ncci_file_is_called_ncci() -> None:
    from datetime import date

    from service.domain.edits.bundling import pair_kind
    from service.domain.reference import Provenance

    def row(source: str, confidence: str) -> PtpRow:
        provenance = Provenance("ptp", "92933/92928", date(2026, 1, 1), None, source, confidence)  # type: ignore[arg-type]
        return PtpRow("92933", "92928", "1", provenance)

    assert pair_kind(row("CMS NCCI PTP file ccipra-v322r0-f1.txt", "confirmed")) == "NCCI pair"
    assert pair_kind(row("derived from the PCI hierarchy (hierarchy.csv)", "derived")) == (
        "derived pair (PCI hierarchy)"
    )


def test_a_distinct_modifier_on_a_bypassed_derived_pair_does_not_call_it_ncci() -> None:
    (finding,) = findings(run(event(line("92933", "LD", "59"), line("92928", "RC"))), "PCI-MOD-005")
    assert "already bypass their derived pair (PCI hierarchy)" in finding.message
    assert "NCCI" not in finding.message


def test_the_pair_edits_title_and_citation_name_the_derived_pairs() -> None:
    from service.domain.registry import catalog

    (spec,) = [s for s in catalog() if s.edit_id == "PCI-BUND-002"]
    assert "derived pair" in spec.title.lower()
    assert "PCI hierarchy" in spec.citation


# Warnings and info carry no CARC/RARC/group code ----------------------------------------


def test_a_warning_carries_no_remittance_codes() -> None:
    # PCI-BUND-001 case (d): 97 / M15 in the catalog, a warning here.
    (finding,) = findings(run(event(line("93459", "XU"), line("92924", "RC"))), "PCI-BUND-001")
    assert finding.disposition == "warning"
    assert (finding.carc, finding.rarc, finding.group_code) == (None, None, None)


def test_a_blocking_finding_keeps_its_remittance_codes() -> None:
    claim = event(
        line("93459", "59"),
        line("92924", "RC"),
        proc=procedure(lesion("1", treatments=("atherectomy",), line_number=2)),
    )
    (finding,) = findings(run(claim), "PCI-BUND-001")
    assert finding.disposition == "line_rejection"
    assert (finding.carc, finding.rarc, finding.group_code) == ("97", "M15", "CO")


# PCI-CLM-002: a bad NPI names whose identifier it is -------------------------------------


def test_a_bad_billing_npi_is_remitted_with_n257() -> None:
    (finding,) = findings(run(event(line("92924", "LD"), billing_npi="1234567890")), "PCI-CLM-002")
    assert (finding.carc, finding.rarc, finding.x12_path) == ("16", "N257", "2010AA/NM109")


def test_a_bad_rendering_npi_is_remitted_with_n290() -> None:
    document = event(line("92924", "LD")).model_dump(mode="json")
    document["claim"]["rendering_provider"]["npi"] = "1234567890"
    (finding,) = findings(run(ClaimSubmitted.model_validate(document)), "PCI-CLM-002")
    assert (finding.carc, finding.rarc) == ("16", "N290")
    assert "rendering" in finding.message


def test_other_claim_integrity_problems_keep_carc_16_without_a_rarc() -> None:
    (finding,) = findings(
        run(event(line("92924", "LD", pointers=(3,)))),
        "PCI-CLM-002",
    )
    assert (finding.carc, finding.rarc) == ("16", None)


# PCI-BUND-006: a drug-coated balloon (0913T) and a PCI code for the same lesion ---------

DCB = ("drug_coated_balloon",)
DRUG_COATED_BALLOON: list[tuple[str, ClaimSubmitted, list[str]]] = [
    (
        "the lesion the balloon line reports also documents the drug-coated balloon",
        event(
            line("92920", "LD"),
            line("0913T", "LD"),
            proc=procedure(lesion("12", treatments=("balloon", *DCB), line_number=1)),
        ),
        ["line_rejection"],
    ),
    (
        "the drug-coated lesion belongs to the LAD stent line by its territory",
        event(
            line("92928", "LD"), line("0913T", "LD"), proc=procedure(lesion("12", treatments=DCB))
        ),
        ["line_rejection"],
    ),
    (
        "the lesion the IVUS line reports is the drug-coated one",
        event(
            line("92920", "RC"),
            line("92978", "LD"),
            line("0913T", "LD"),
            proc=procedure(
                lesion("1", line_number=1),
                lesion("12", treatments=DCB, line_number=2, lesion_id="L2"),
            ),
        ),
        ["line_rejection"],
    ),
    (
        "the balloon line the lesion names is removed: the LAD line left reports the lesion",
        event(
            line("92920", "LD"),
            line("92928", "LD"),
            line("0913T", "LD"),
            proc=procedure(lesion("12", treatments=("balloon", *DCB), line_number=1)),
        ),
        ["line_rejection"],
    ),
    (
        "a separate LAD lesion names the 0913T line",
        event(
            line("92928", "LD"),
            line("0913T", "LD"),
            proc=procedure(
                lesion("12", treatments=("stent",), line_number=1),
                lesion("13", treatments=DCB, line_number=2, lesion_id="L2"),
            ),
        ),
        [],
    ),
    (
        "the drug-coated balloon in another artery",
        event(
            line("92928", "LD"),
            line("0913T", "RC"),
            proc=procedure(
                lesion("12", treatments=("stent",), line_number=1),
                lesion("1", treatments=DCB, lesion_id="L2"),
            ),
        ),
        [],
    ),
    (
        "the same lesion on 2025 dates",
        event(
            line("92920", "LD", date="2025-06-02"),
            line("0913T", "LD", date="2025-06-02"),
            proc=procedure(lesion("12", treatments=("balloon", *DCB), line_number=1)),
        ),
        ["line_rejection"],
    ),
    (
        "no documentation, the same artery: the lesions cannot be told apart",
        event(line("92920", "LD"), line("0913T", "LD")),
        ["warning"],
    ),
    (
        "documentation without the drug-coated lesion, the same artery",
        event(
            line("92920", "LD"),
            line("0913T", "LD"),
            proc=procedure(lesion("12", line_number=1)),
        ),
        ["warning"],
    ),
    (
        "no documentation, different arteries",
        event(line("92920", "LD"), line("0913T", "RC")),
        [],
    ),
    (
        "the add-on +0914T is not 0913T",
        event(
            line("92920", "LD"),
            line("0914T", "LD"),
            proc=procedure(
                lesion("12", line_number=1),
                lesion("13", treatments=DCB, line_number=2, lesion_id="L2"),
            ),
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "claim_event", "expected"), DRUG_COATED_BALLOON)
def test_a_drug_coated_balloon_is_not_reported_with_a_pci_code_for_the_same_lesion(
    name: str, claim_event: ClaimSubmitted, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), "PCI-BUND-006") == expected, name


def test_the_drug_coated_balloon_line_is_the_one_rejected_with_bundling_codes() -> None:
    outcome = run(
        event(
            line("92920", "LD"),
            line("0913T", "LD"),
            proc=procedure(lesion("12", treatments=("balloon", *DCB), line_number=1)),
        )
    )
    (finding,) = findings(outcome, "PCI-BUND-006")
    assert finding.line_numbers == (2,)
    assert (finding.carc, finding.rarc, finding.group_code) == ("97", "M15", "CO")
    assert "same lesion (L1)" in finding.message
    assert finding.fix is not None and "+0914T" in finding.fix
    assert {e.table for e in finding.evidence} == {"code_sets"}
    assert outcome.rejected


def test_without_documentation_the_warning_names_both_lines_and_no_remittance_codes() -> None:
    (finding,) = findings(run(event(line("92920", "LD"), line("0913T", "LD"))), "PCI-BUND-006")
    assert finding.line_numbers == (2, 1)
    assert (finding.carc, finding.rarc, finding.group_code) == (None, None, None)


@pytest.mark.parametrize("code", ["0913T", "0914T"])
def test_a_drug_coated_balloon_takes_its_vessels_coronary_modifier(code: str) -> None:
    outcome = run(
        event(
            line("92928", "RC"),
            line(code, "LD"),
            proc=procedure(
                lesion("1", treatments=("stent",), line_number=1),
                lesion("12", treatments=DCB, line_number=2, lesion_id="L2"),
            ),
        )
    )
    assert dispositions(outcome, "PCI-MOD-003") == []
    assert dispositions(outcome, "PCI-REF-001") == []
    assert dispositions(outcome, "PCI-REF-002") == []
