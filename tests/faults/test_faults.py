"""Fault injection on the real broker, scaled down for CI (`make faults` runs full size)."""

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts import ClaimEnriched, ClaimRejected, DeadLetter
from tests.faults import hostile, many_outputs, memory_scenarios, scenarios, x12_interchanges
from tests.integration.kafka_helpers import (
    collect,
    output_topics,
    produce,
    service_settings,
    unique,
)
from tests.integration.running_service import running_service

GUARANTEES = ["at_least_once", "exactly_once"]
MODELS: dict[str, type[BaseModel]] = {
    "claim.enriched": ClaimEnriched,
    "claim.rejected": ClaimRejected,
    "claim.dead_letter": DeadLetter,
}


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_sigkill_three_times_loses_nothing(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await scenarios.kill_and_restart(kafka_bootstrap, tmp_path, guarantee, total=600)
    assert tally.lost == 0, tally
    assert tally.repeats_with_other_event_id == 0, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally  # as a read_committed consumer sees it


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_partitions_of_a_killed_instance_move_to_the_other(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await scenarios.two_instances_one_killed(
        kafka_bootstrap, tmp_path, guarantee, total=600
    )
    assert tally.lost == 0, tally
    assert tally.repeats_with_other_event_id == 0, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_poison_flood_dead_letters_every_poison_event_and_nothing_else(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await scenarios.poison_flood(kafka_bootstrap, tmp_path, guarantee, good=300, bad=200)
    assert tally.lost == 0, tally
    assert tally.dead_letters == 200, tally  # matched back by their original bytes
    assert tally.unexpected_dead_letters == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_sigterm_in_flight_exits_cleanly(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await scenarios.sigterm_in_flight(kafka_bootstrap, tmp_path, guarantee, total=800)
    assert "exit code after SIGTERM: 0" in tally.notes, tally
    assert tally.lost == 0, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally


@pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("mvn") is None,
    reason="the outage scenario drives a broker of its own (scripts/kafka-local)",
)
@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_broker_outage_is_waited_out_without_loss_or_dead_letters(
    tmp_path: Path, guarantee: str
) -> None:
    tally = await scenarios.broker_outage(tmp_path, guarantee, total=400)
    assert tally.lost == 0, tally
    assert tally.dead_letters == 0, tally
    assert any("during the outage" in n and "503" in n for n in tally.notes), tally


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
EVENTS = st.lists(
    st.binary(max_size=300)
    | JSON_VALUES.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(
        st.sampled_from(["event_id", "event_type", "claim", "schema_version", "occurred_at"]),
        JSON_VALUES,
    ).map(lambda v: json.dumps(v).encode()),
    min_size=5,
    max_size=40,
)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(events=EVENTS)
def test_fuzzed_events_through_kafka_are_outcomes_or_dead_letters(
    kafka_bootstrap: str, events: list[bytes]
) -> None:
    async def scenario() -> None:
        config = service_settings(unique("fuzz"))
        async with running_service(kafka_bootstrap, config):
            await produce(
                kafka_bootstrap,
                config.topic_submitted,
                [(b"k%d" % i, raw, []) for i, raw in enumerate(events)],
            )
            outputs = await collect(
                kafka_bootstrap, output_topics(config), expected=len(events), timeout=60
            )
        assert len(outputs) == len(events)
        for record in outputs:
            document = json.loads(record.value or b"")
            MODELS[document["event_type"]].model_validate(document)

    asyncio.run(scenario())


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_hostile_headers_lose_nothing_and_copy_only_bounded_values(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await hostile.hostile_headers(kafka_bootstrap, tmp_path, guarantee, total=300)
    assert tally.lost == 0, tally
    assert tally.unexpected_dead_letters == 0, tally  # a header never makes a claim poison
    assert tally.repeats_with_other_event_id == 0, tally
    assert any(
        n.endswith(" 256 bytes") or int(n.split()[-2]) <= 256 for n in tally.notes if "longest" in n
    )
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_outputs_refused_for_good_become_unpublishable_dead_letters(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await hostile.refused_outputs(kafka_bootstrap, tmp_path, guarantee, total=120)
    assert tally.lost == 0, tally
    assert tally.dead_letters == tally.inputs, tally
    assert "dead-letter kinds: ['unpublishable']" in tally.notes, tally
    assert "/health/ready afterwards: 200" in tally.notes, tally
    assert "tracebacks logged: 0" in tally.notes, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_a_denied_dead_letter_topic_stops_the_service_with_a_clear_error(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await hostile.dead_letter_topic_denied(kafka_bootstrap, tmp_path, guarantee, total=60)
    assert "exit code: 1" in tally.notes, tally
    assert "stderr names the refusal: True" in tally.notes, tally
    assert tally.lost == 0, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_long_batches_of_the_largest_claims_keep_the_member_and_liveness(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await hostile.long_batches(kafka_bootstrap, tmp_path, guarantee, total=500)
    assert tally.lost == 0, tally
    assert tally.repeats_with_other_event_id == 0, tally
    assert tally.duplicates == 0, tally  # nobody was evicted, so nothing was redone
    probes = next(n for n in tally.notes if n.startswith("/health/live"))
    answered, _, total = probes.removeprefix("/health/live: ").partition(" of ")
    assert answered == total.split()[0], tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_members_joining_and_leaving_mid_stream_double_nothing(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await hostile.members_join_and_leave(kafka_bootstrap, tmp_path, guarantee, total=600)
    assert tally.lost == 0, tally
    assert tally.repeats_with_other_event_id == 0, tally
    assert "member b left with exit code 0" in tally.notes, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_x12_interchanges_survive_kills_with_one_277ca_each(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await x12_interchanges.kill_and_restart(
        kafka_bootstrap, tmp_path, guarantee, count=12, claims_each=25
    )
    assert tally.lost == 0, tally
    assert tally.unexpected_dead_letters == 0, tally
    assert "x12.999" not in tally.notes[-1], tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally  # one 277CA per interchange, one outcome per claim


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_a_refused_277ca_costs_no_claim_its_outcome(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await many_outputs.refused_answer(kafka_bootstrap, tmp_path, guarantee, claims_=60)
    assert tally.lost == 0, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally
    assert tally.dead_letters <= 2, tally  # the refused answer alone, not one per claim


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_json_claims_are_answered_while_a_big_837_is_edited(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await many_outputs.big_interchange_beside_json(
        kafka_bootstrap, tmp_path, guarantee, claims_=400, json_claims=60
    )
    assert tally.lost == 0, tally
    p99 = tally.measured["json_p99_ms"]
    assert p99 is not None and p99 <= 3000, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_partitions_added_to_the_input_are_read_within_30_seconds(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await many_outputs.partitions_added(kafka_bootstrap, tmp_path, guarantee, total=80)
    assert tally.lost == 0, tally
    assert tally.recovery_seconds is not None and tally.recovery_seconds <= 30, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_an_input_topic_missing_at_start_is_not_ready_then_read(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await many_outputs.topic_missing_at_start(
        kafka_bootstrap, tmp_path, guarantee, total=60
    )
    assert tally.measured["ready_while_missing"] is False, tally
    assert tally.lost == 0, tally
    assert tally.recovery_seconds is not None and tally.recovery_seconds <= 30, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_an_input_topic_deleted_and_created_again_is_read_from_its_start(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await many_outputs.topic_recreated(kafka_bootstrap, tmp_path, guarantee, total=80)
    assert tally.measured["ready_while_missing"] is False, tally
    assert tally.lost == 0, tally
    assert tally.recovery_seconds is not None and tally.recovery_seconds <= 30, tally


async def test_two_exactly_once_instances_on_one_host_need_no_instance_id(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    tally = await many_outputs.two_instances_one_host(kafka_bootstrap, tmp_path, total=200)
    assert tally.measured["exits"] == 0, tally
    assert tally.lost == 0, tally
    assert tally.duplicates == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_claims_replayed_after_sigkill_keep_their_outcome_and_only_resent_ones_are_duplicates(
    kafka_bootstrap: str, memory_url: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await memory_scenarios.replay_after_kills(
        kafka_bootstrap, tmp_path, memory_url, guarantee, total=300
    )
    assert tally.lost == 0, tally
    assert tally.repeats_with_other_event_id == 0, tally
    assert tally.measured["copies_with_another_outcome"] == 0, tally
    assert tally.measured["outcomes_unlike_a_run_without_the_fault"] == 0, tally
    assert tally.measured["duplicates_as_planted"] is True, tally
    assert tally.measured["replayed_inputs"] == 300, tally
    assert tally.measured["replays_with_another_outcome"] == 0, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_one_patients_identical_claims_on_two_instances_make_exactly_one_duplicate(
    kafka_bootstrap: str, memory_url: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await memory_scenarios.pairs_on_two_instances(
        kafka_bootstrap, tmp_path, memory_url, guarantee, pairs=100
    )
    assert tally.lost == 0, tally
    assert tally.measured["pairs_with_exactly_one_duplicate"] == 100, tally
    assert tally.measured["instance_a_outcomes"] and tally.measured["instance_b_outcomes"], tally


@pytest.mark.parametrize("guarantee", GUARANTEES)
async def test_postgresql_stopped_mid_stream_is_waited_out_without_loss_or_other_findings(
    kafka_bootstrap: str, tmp_path: Path, guarantee: str
) -> None:
    tally = await memory_scenarios.postgres_outage(kafka_bootstrap, tmp_path, guarantee, total=200)
    assert tally.measured["ready_503_during_outage"] is True, tally
    assert tally.measured["ready_200_after_first_503"] == 0, tally
    assert tally.lost == 0, tally
    assert tally.dead_letters == 0, tally
    assert tally.repeats_with_other_event_id == 0, tally
    assert tally.measured["copies_with_another_outcome"] == 0, tally
    assert tally.measured["outcomes_unlike_a_run_without_the_fault"] == 0, tally
    assert tally.measured["duplicates_as_planted"] is True, tally
    if guarantee == "exactly_once":
        assert tally.duplicates == 0, tally
