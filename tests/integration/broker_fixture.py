"""Where the real broker for integration tests comes from, in order:

1. KAFKA_BOOTSTRAP_SERVERS, if set (make test sets it after `scripts/kafka-local start`);
2. testcontainers with apache/kafka, if a Docker engine answers a ping;
3. scripts/kafka-local started here, stopped at the end of the session.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
KAFKA_IMAGE = "apache/kafka:4.3.1"


def docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=3)
        return bool(client.ping())
    except Exception:
        return False


@contextmanager
def _testcontainers_kafka() -> Iterator[str]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    port = 9092
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", f"PLAINTEXT://0.0.0.0:{port},CONTROLLER://0.0.0.0:9093")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        )
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .with_env("KAFKA_NUM_PARTITIONS", "6")
        # as the local broker: an authorizer that allows what no ACL names (the ACL faults)
        .with_env(
            "KAFKA_AUTHORIZER_CLASS_NAME",
            "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        )
        .with_env("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND", "true")
        .with_bind_ports(port, port)
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://localhost:{port}")
    )
    with container:
        wait_for_logs(container, "Kafka Server started", timeout=90)
        yield f"localhost:{port}"


@contextmanager
def _local_script_kafka(home: Path) -> Iterator[str]:
    env = {**os.environ, "KAFKA_LOCAL_HOME": str(home)}
    script = str(PROJECT / "service" / "kafka_local.py")
    started = subprocess.run(
        [sys.executable, script, "start"], env=env, capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        raise RuntimeError(f"kafka_local start failed: {started.stderr[-2000:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([sys.executable, script, "stop"], env=env, check=False)


@contextmanager
def real_kafka(home: Path) -> Iterator[str]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
    elif docker_answers():
        with _testcontainers_kafka() as address:
            yield address
    else:
        with _local_script_kafka(home) as address:
            yield address
