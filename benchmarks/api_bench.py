"""`python -m benchmarks.api_bench` (`make bench-api`): `POST /v1/claims:check` against a real
`claim-edit api` process on loopback. Not a test: it prints figures.

1. Identity: every worked sample and `--corpus` claims of the benchmark corpus go through the
   API and through `claim-edit check`; the outcome bytes must be equal (apart from
   `occurred_at`, each side's clock).
2. Paced: the worked samples, in turn, at `--rate` requests/s (default 200) for `--seconds`;
   latency is measured from each request's scheduled start (no coordinated omission): p50,
   p99, max.
3. Saturation: `--concurrency` clients back to back for `--seconds`: requests/s.
"""

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from benchmarks.corpus import corpus

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "benchmark-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_api(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CLAIM_EDIT_API_TOKENS": TOKEN,
        "CLAIM_EDIT_API_PORT": str(port),
        "CLAIM_EDIT_API_HOST": "127.0.0.1",
        "CLAIM_EDIT_API_RATE_LIMIT": "1000000/minute",
        "CLAIM_EDIT_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).parent / "claim-edit"), "api"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("claim-edit api did not start within 30 s")


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_outputs(events: list[bytes]) -> list[bytes]:
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as file:
        file.write(b"\n".join(events) + b"\n")
        file.flush()
        command = [str(Path(sys.executable).parent / "claim-edit"), "check", file.name]
        return subprocess.run(command, capture_output=True, check=True).stdout.splitlines()


def same_bytes(api: bytes, check: bytes) -> bool:
    api_stamp = orjson.loads(api)["occurred_at"]
    check_stamp = orjson.loads(check)["occurred_at"]
    return api == check.replace(check_stamp.encode(), api_stamp.encode())


async def identity(client: httpx.AsyncClient, events: list[bytes]) -> int:
    printed = check_outputs(events)
    differ = 0
    for raw, expected in zip(events, printed, strict=True):
        answer = await client.post("/v1/claims:check", content=raw, headers=HEADERS)
        differ += not same_bytes(answer.content, expected)
    return differ


class Connection:
    """One keep-alive HTTP/1.1 connection, as little client as can be: httpx costs more CPU
    per request than the server does (measured: the server at 27% of a core while httpx
    clients saturated the 2-core machine), and the client shares the machine."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def post(self, body: bytes) -> int:
        head = (
            "POST /v1/claims:check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def paced(
    port: int, events: list[bytes], rate: float, seconds: float, connections: int = 32
) -> tuple[list[float], int]:
    """Requests at their scheduled times over a pool of connections; a request waiting for
    a free connection is late, and its latency counts from its scheduled start."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    failed = 0
    count = int(rate * seconds)
    start = time.perf_counter() + 0.1

    async def one(index: int) -> None:
        nonlocal failed
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        connection = await pool.get()
        status = await connection.post(events[index % len(events)])
        pool.put_nowait(connection)
        latencies.append(time.perf_counter() - scheduled)
        failed += status not in (200, 422)

    await asyncio.gather(*(one(i) for i in range(count)))
    while not pool.empty():
        pool.get_nowait().close()
    return latencies, failed


async def saturated(
    port: int, events: list[bytes], concurrency: int, seconds: float
) -> tuple[int, float]:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        connection = await Connection.open(port)
        index = offset
        while time.perf_counter() < stop:
            await connection.post(events[index % len(events)])
            done += 1
            index += concurrency
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return done, time.perf_counter() - started


async def run(args: argparse.Namespace, port: int, server: int) -> None:
    samples = (ROOT / "samples" / "claims.jsonl").read_bytes().splitlines()
    bench = [orjson.dumps(document) for document in corpus(args.corpus)]
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        differ = await identity(client, samples + bench)
        print(
            f"identity: {len(samples)} samples + {len(bench)} corpus claims, "
            f"{differ} outcome(s) differing from `claim-edit check`"
        )
    await paced(port, samples, args.rate, 2.0)  # warm-up
    latencies, failed = await paced(port, samples, args.rate, args.seconds)
    ms = [1000 * s for s in latencies]
    print(
        f"paced: {len(ms)} requests at {args.rate:.0f}/s over {args.seconds:.0f} s: "
        f"p50 {statistics.median(ms):.1f} ms, p99 {_percentile(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms, {failed} failed"
    )
    cpu = cpu_seconds(server)
    done, took = await saturated(port, samples, args.concurrency, args.seconds)
    cpu = cpu_seconds(server) - cpu
    print(
        f"saturation: {args.concurrency} clients back to back for {took:.1f} s: "
        f"{done / took:,.0f} requests/s; the server used {cpu / took:.0%} of a core, "
        f"{1000 * cpu / max(done, 1):.2f} ms CPU per request"
    )


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--rate", type=float, default=200.0, help="requests/s when paced")
    options.add_argument("--seconds", type=float, default=20.0, help="per phase")
    options.add_argument("--concurrency", type=int, default=16, help="clients at saturation")
    options.add_argument("--corpus", type=int, default=500, help="corpus claims compared")
    args = options.parse_args()
    port = _free_port()
    process = start_api(port)
    try:
        asyncio.run(run(args, port, process.pid))
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
