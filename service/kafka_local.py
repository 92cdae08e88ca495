#!/usr/bin/env python3
"""Run a real single-node Apache Kafka (KRaft) broker on 127.0.0.1 without Docker.

    python -m service.kafka_local start [--port P]   fetch jars (cached), format, start, wait
    python -m service.kafka_local stop               SIGTERM, then SIGKILL after 30 s
    python -m service.kafka_local status             running or not, and the bootstrap address

(scripts/kafka-local runs it from a checkout; `claim-edit demo` from an installed package.)

Jars come from Maven Central through Maven into a cache shared by every checkout
($KAFKA_LOCAL_CACHE, default ~/.cache/claim-edit/kafka-<version>). State lives in
$KAFKA_LOCAL_HOME (default ~/.cache/claim-edit/broker). Standard library only, so any
Python 3 can run the file directly.
"""

import argparse
import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

KAFKA_VERSION = os.environ.get("KAFKA_LOCAL_VERSION", "4.3.1")
LOG4J_VERSION = "2.25.3"
DEPENDENCY_PLUGIN = "3.8.1"
HOME = Path(os.environ.get("KAFKA_LOCAL_HOME", Path.home() / ".cache" / "claim-edit" / "broker"))
CACHE = Path(
    os.environ.get(
        "KAFKA_LOCAL_CACHE", Path.home() / ".cache" / "claim-edit" / f"kafka-{KAFKA_VERSION}"
    )
)
READY_TIMEOUT = float(os.environ.get("KAFKA_LOCAL_READY_TIMEOUT", "90"))

POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.claim-edit</groupId><artifactId>kafka-jars</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId>
      <version>{LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>{LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId>
    <version>{DEPENDENCY_PLUGIN}</version>
  </plugin></plugins></build>
</project>
"""

LOG4J2 = """status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = WARN
"""


def say(message: str) -> None:
    print(f"kafka-local: {message}", file=sys.stderr, flush=True)


def fetch_jars() -> Path:
    jars = CACHE / "libs"
    marker = CACHE / ".complete"
    if marker.exists():
        return jars
    say(f"fetching Apache Kafka {KAFKA_VERSION} jars from Maven Central into {CACHE} ...")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        pom = Path(work) / "pom.xml"
        pom.write_text(POM)
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={jars}",
            ],
            check=True,
            stdout=sys.stderr,
        )
    marker.write_text(KAFKA_VERSION)
    return jars


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def api_versions_ok(port: int) -> bool:
    """Readiness: an ApiVersions v0 request answered with error code 0 (a TCP connect is not)."""
    client = b"kafka-local"
    body = struct.pack(">hhih", 18, 0, 1, len(client)) + client
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(struct.pack(">i", len(body)) + body)
            header = conn.recv(10)
    except OSError:
        return False
    if len(header) < 10:
        return False
    _size, correlation, error_code = struct.unpack(">iih", header)
    return bool(correlation == 1 and error_code == 0)


def read_pid() -> int | None:
    try:
        pid = int((HOME / "broker.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def bootstrap() -> str | None:
    path = HOME / "bootstrap"
    return path.read_text().strip() if path.exists() else None


def missing_tools() -> str | None:
    """One line naming what this machine lacks to run the broker, or None."""
    needed = ["java"] if (CACHE / ".complete").exists() else ["java", "mvn"]
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if not missing:
        return None
    return (
        f"{' and '.join(missing)} not found on PATH: the local broker needs a Java runtime (17+)"
        " and, the first time, Maven to fetch the Kafka jars (Debian: apt-get install"
        " default-jre-headless maven); or set KAFKA_BOOTSTRAP_SERVERS to a running broker"
    )


def start(port: int | None, keep_data: bool = False) -> int:
    """Start a broker; with keep_data, restart the previous one (same ports, same logs)."""
    if read_pid() is not None and bootstrap():
        print(bootstrap())
        return 0
    problem = missing_tools()
    if problem is not None:
        say(problem)
        return 2
    jars = fetch_jars()
    ports_file = HOME / "ports"
    if keep_data and ports_file.exists():
        port, controller = (int(p) for p in ports_file.read_text().split())
    else:
        keep_data = False
        port = port or free_port()
        controller = free_port()
    HOME.mkdir(parents=True, exist_ok=True)
    data, logs = HOME / "data", HOME / "logs"
    for directory in (data, logs):
        directory.mkdir(exist_ok=True)
    properties = HOME / "server.properties"
    properties.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{controller}",
                f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                f"log.dirs={data}",
                "num.partitions=6",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=6",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=6",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=true",
                # An authorizer that allows everything no ACL names, so the fault suite
                # can deny one topic to prove a refusal that never ends blocks nothing.
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found=true",
                "",
            ]
        )
    )
    (HOME / "log4j2.properties").write_text(LOG4J2)
    classpath = f"{jars}/*"
    cluster_id = (HOME / "cluster.id").read_text().strip() if (HOME / "cluster.id").exists() else ""
    if not cluster_id:
        cluster_id = uuid.uuid4().hex[:22].replace("-", "x")
        cluster_id = "k" + cluster_id[1:]
        (HOME / "cluster.id").write_text(cluster_id)
    java_opts = [
        "-Xms256m",
        "-Xmx512m",
        "-Djava.awt.headless=true",
        f"-Dkafka.logs.dir={logs}",
        f"-Dlog4j2.configurationFile={HOME / 'log4j2.properties'}",
    ]
    ports_file.write_text(f"{port} {controller}")
    if not keep_data:
        # A fresh single-node cluster: ports change, so the old log dirs would not fit.
        for child in sorted(data.rglob("*"), reverse=True):
            (child.unlink() if child.is_file() else child.rmdir())
    subprocess.run(
        [
            "java",
            *java_opts,
            "-cp",
            classpath,
            "kafka.tools.StorageTool",
            "format",
            "-t",
            cluster_id,
            "-c",
            str(properties),
            "--ignore-formatted",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with (logs / "stdout.log").open("ab") as out:
        broker = subprocess.Popen(
            ["java", *java_opts, "-cp", classpath, "kafka.Kafka", str(properties)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (HOME / "broker.pid").write_text(str(broker.pid))
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    say(f"waiting for the broker on {address} (pid {broker.pid}) ...")
    while time.monotonic() < deadline:
        if broker.poll() is not None:
            say(f"broker exited with {broker.returncode}; see {logs}/server.log")
            return 1
        if api_versions_ok(port):
            (HOME / "bootstrap").write_text(address)
            say(f"ready after {READY_TIMEOUT - (deadline - time.monotonic()):.1f}s")
            print(address)
            return 0
        time.sleep(0.5)
    say(f"not ready after {READY_TIMEOUT:.0f}s; see {logs}/server.log")
    stop()
    return 1


def stop() -> int:
    pid = read_pid()
    if pid is None:
        with contextlib.suppress(FileNotFoundError):
            (HOME / "bootstrap").unlink()
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    else:
        say("no controlled shutdown after 30s: SIGKILL")
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for name in ("broker.pid", "bootstrap"):
        with contextlib.suppress(FileNotFoundError):
            (HOME / name).unlink()
    return 0


def status() -> int:
    pid = read_pid()
    address = bootstrap()
    if pid is None or address is None:
        print("stopped")
        return 3
    ready = api_versions_ok(int(address.rsplit(":", 1)[1]))
    print(f"running pid {pid} on {address} ({'ready' if ready else 'not answering'})")
    return 0 if ready else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start_command = commands.add_parser("start")
    start_command.add_argument("--port", type=int, default=None)
    start_command.add_argument(
        "--keep-data",
        action="store_true",
        help="restart the previous broker with its ports and data",
    )
    commands.add_parser("stop")
    commands.add_parser("status")
    commands.add_parser("fetch")
    args = parser.parse_args()
    if args.command == "start":
        return start(args.port, args.keep_data)
    if args.command == "stop":
        return stop()
    if args.command == "fetch":
        print(fetch_jars())
        return 0
    return status()


if __name__ == "__main__":
    sys.exit(main())
