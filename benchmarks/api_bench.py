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


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def paced(
    client: httpx.AsyncClient,
    events: list[bytes],
    rate: float,
    seconds: float,
    connections: int = 32,
) -> tuple[list[float], int]:
    latencies: list[float] = []
    failed = 0
    count = int(rate * seconds)
    start = time.perf_counter() + 0.1
    # httpx's pool slows down with thousands of waiters: at most this many in flight (a late
    # request still counts from its scheduled start)
    in_flight = asyncio.Semaphore(connections)

    async def one(index: int) -> None:
        nonlocal failed
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        async with in_flight:
            answer = await client.post(
                "/v1/claims:check", content=events[index % len(events)], headers=HEADERS
            )
        latencies.append(time.perf_counter() - scheduled)
        failed += answer.status_code not in (200, 422)

    await asyncio.gather(*(one(i) for i in range(count)))
    return latencies, failed


async def saturated(
    client: httpx.AsyncClient, events: list[bytes], concurrency: int, seconds: float
) -> tuple[int, float]:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        index = offset
        while time.perf_counter() < stop:
            await client.post(
                "/v1/claims:check", content=events[index % len(events)], headers=HEADERS
            )
            done += 1
            index += concurrency

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return done, time.perf_counter() - started


async def run(args: argparse.Namespace, base: str) -> None:
    samples = (ROOT / "samples" / "claims.jsonl").read_bytes().splitlines()
    bench = [orjson.dumps(document) for document in corpus(args.corpus)]
    limits = httpx.Limits(max_connections=args.concurrency * 2, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        differ = await identity(client, samples + bench)
        print(
            f"identity: {len(samples)} samples + {len(bench)} corpus claims, "
            f"{differ} outcome(s) differing from `claim-edit check`"
        )
        await paced(client, samples, args.rate, 2.0)  # warm-up
        latencies, failed = await paced(client, samples, args.rate, args.seconds)
        ms = [1000 * s for s in latencies]
        print(
            f"paced: {len(ms)} requests at {args.rate:.0f}/s over {args.seconds:.0f} s: "
            f"p50 {statistics.median(ms):.1f} ms, p99 {_percentile(ms, 0.99):.1f} ms, "
            f"max {max(ms):.1f} ms, {failed} failed"
        )
        done, took = await saturated(client, samples, args.concurrency, args.seconds)
        print(
            f"saturation: {args.concurrency} clients back to back for {took:.1f} s: "
            f"{done / took:,.0f} requests/s"
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
        asyncio.run(run(args, f"http://127.0.0.1:{port}"))
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
