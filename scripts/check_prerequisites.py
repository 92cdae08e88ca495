#!/usr/bin/env python3
"""Before `make demo`: name, in one line, the first prerequisite this machine lacks.

A configured broker (KAFKA_BOOTSTRAP_SERVERS) needs nothing more; otherwise the local broker
needs Java 17 or newer, and Maven unless its jars are already cached.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

KAFKA_VERSION = os.environ.get("KAFKA_LOCAL_VERSION", "4.3.1")
CACHE = Path(
    os.environ.get(
        "KAFKA_LOCAL_CACHE", Path.home() / ".cache" / "claim-edit" / f"kafka-{KAFKA_VERSION}"
    )
)


def missing() -> str | None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script runs before the venv exists)
        return f"Python 3.11 or newer (this is {sys.version.split()[0]})"
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return None
    if shutil.which("java") is None:
        return "Java 17 or newer, for the local Kafka broker (`java` is not on the PATH)"
    shown = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    found = re.search(r'version "(\d+)', shown.stderr + shown.stdout)
    if found is None or int(found.group(1)) < 17:
        return (
            f"Java 17 or newer, for the local Kafka broker (found: {shown.stderr.splitlines()[:1]})"
        )
    if not (CACHE / ".complete").exists() and shutil.which("mvn") is None:
        return "Maven (`mvn`), to fetch the Kafka jars from Maven Central the first time"
    return None


if __name__ == "__main__":
    lack = missing()
    if lack:
        print(f"make demo: missing prerequisite: {lack}", file=sys.stderr)
        sys.exit(1)
