"""Official files → the engine's effective-dated rows, each naming its file and release.

The one place the official layouts become reference rows: the service reads them this way
from CLAIM_EDIT_REFERENCE_DIR, and scripts/cms_facts.py carries the same rows into the
shipped tables.
"""

from collections.abc import Iterable
from decimal import Decimal

from contracts.vocabulary import Confidence
from service.adapters.cms.asc import AscRate, DeviceIntensive, OppsPayment
from service.adapters.cms.pfs import Gpci, PfsRvu
from service.adapters.cms.release import Release
from service.domain.reference import (
    AscRow,
    ConversionFactorRow,
    LocalityRow,
    OppsRow,
    Participation,
    Provenance,
    RvuRow,
)

# APCs 5191-5194 (levels 1-4 of endovascular procedures) are comprehensive APCs: a code
# assigned to one has OPPS status indicator J1. Addendum FF gives the APC, not the indicator.
COMPREHENSIVE_APCS = frozenset({"5191", "5192", "5193", "5194"})
DERIVED_J1 = "status indicator J1 derived: APCs 5191-5194 are comprehensive (C-APC)"


def provenance(
    release: Release,
    table: str,
    key: str,
    confidence: Confidence = "confirmed",
    *,
    source: str | None = None,
) -> Provenance:
    """A row's provenance: the release's dates, its source (or `source`, when the row says
    more than the file does), and how far to trust it."""
    return Provenance(
        table,
        key,
        release.effective_from,
        release.effective_to,
        source or release.source,
        confidence,
    )


def rvu_rows(release: Release, rows: list[PfsRvu]) -> list[RvuRow]:
    """Every row of the file, global and component (26, TC), each keyed by code and
    modifier ("92978-26") and carrying the code's PC/TC indicator."""
    return [
        RvuRow(
            row.code,
            row.work,
            row.facility_total,
            provenance(release, "rvu", f"{row.code}-{row.modifier}" if row.modifier else row.code),
            status=row.status,
            facility_pe_rvu=row.facility_pe,
            malpractice_rvu=row.malpractice,
            multiple_procedure=row.multiple_procedure,
            modifier=row.modifier,
            pctc_indicator=row.pctc_indicator,
        )
        for row in rows
    ]


# From 2026 CMS publishes the relative value file twice, one per conversion factor: the
# `_QPP` file for qualifying APM participants, the `_nonQPP` file for everyone else. A file
# whose name says neither (every file before 2026) gives its factor to both.
TRACKS_OF_NAME: tuple[tuple[str, tuple[Participation, ...]], ...] = (
    ("_nonqpp", ("non_qualifying_apm",)),
    ("_qpp", ("qualifying_apm",)),
)
BOTH_TRACKS: tuple[Participation, ...] = ("non_qualifying_apm", "qualifying_apm")


def tracks_of(file_name: str) -> tuple[Participation, ...]:
    """The conversion-factor tracks a relative value file is for, told by its name."""
    lowered = file_name.lower()
    return next((tracks for mark, tracks in TRACKS_OF_NAME if mark in lowered), BOTH_TRACKS)


def conversion_factor_rows(release: Release, rows: list[PfsRvu]) -> list[ConversionFactorRow]:
    """The file's one conversion factor, for the track(s) its name gives (`tracks_of`)."""
    factors = {row.conversion_factor for row in rows}
    if len(factors) != 1:
        raise ValueError(f"{release.file}: {len(factors)} conversion factors; expected one")
    (factor,) = factors
    return [
        ConversionFactorRow(track, factor, provenance(release, "conversion_factors", track))
        for track in tracks_of(release.file)
    ]


def asc_rows(release: Release, rates: list[AscRate]) -> list[AscRow]:
    return [
        AscRow(
            rate.code,
            rate.rate,
            provenance(release, "asc", rate.code),
            payment_indicator=rate.payment_indicator,
            multiple_procedure_discounting=rate.multiple_procedure_discounting,
        )
        for rate in rates
    ]


def opps_rows(release: Release, devices: list[DeviceIntensive]) -> list[OppsRow]:
    """The OPPS APC and rate Addendum FF gives for device-intensive procedures in a
    comprehensive APC (J1, derived); others are left to OPPS Addendum B."""
    return [
        OppsRow(
            device.code,
            "J1",
            device.opps_apc,
            device.opps_rate,
            provenance(
                release,
                "opps",
                device.code,
                "derived",
                source=f"{release.source} (APC and OPPS payment rate); {DERIVED_J1}",
            ),
        )
        for device in devices
        if device.opps_apc in COMPREHENSIVE_APCS
    ]


def locality_rows(release: Release, gpcis: list[Gpci]) -> list[LocalityRow]:
    return [
        LocalityRow(
            gpci.carrier,
            gpci.locality,
            gpci.name,
            gpci.work,
            gpci.practice_expense,
            gpci.malpractice,
            provenance(release, "gpci", f"{gpci.carrier}/{gpci.locality}"),
        )
        for gpci in gpcis
    ]


def locality_index(rows: Iterable[LocalityRow]) -> dict[tuple[str, str], tuple[LocalityRow, ...]]:
    indexed: dict[tuple[str, str], list[LocalityRow]] = {}
    for row in rows:
        indexed.setdefault((row.carrier, row.locality), []).append(row)
    return {key: tuple(group) for key, group in indexed.items()}


def addendum_b_rows(release: Release, payments: list[OppsPayment]) -> list[OppsRow]:
    """Addendum B's status indicator, APC and rate (no rate: 0.00, packaged or not paid)."""
    return [
        OppsRow(
            payment.code,
            payment.status_indicator,
            payment.apc,
            payment.rate if payment.rate is not None else Decimal(0),
            provenance(release, "opps", payment.code),
        )
        for payment in payments
    ]
