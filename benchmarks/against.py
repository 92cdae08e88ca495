"""`make bench-engine BASELINE=<rev>`: this tree's engine against another commit's, in turns.

Checks the baseline out into a temporary git worktree, and runs this tree's
`benchmarks.engine` over each engine in alternation (baseline, this tree, baseline, ...),
so both see the same machine in the same sitting. Prints each run's figures, then the
best of each and their ratio.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RATE = re.compile(r"^engine: ([0-9,]+) claims/s")


def run(code_dir: Path, bench_dir: Path, claims: int) -> tuple[float, str]:
    """One run of the copied benchmark (its folder is the working directory, so it comes
    first on the path) over the engine in `code_dir`."""
    environment = {**os.environ, "PYTHONPATH": str(code_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.engine", "--claims", str(claims)],
        cwd=bench_dir,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    found = RATE.search(done.stdout.splitlines()[-1])
    assert found, done.stdout
    return float(found.group(1).replace(",", "")), done.stdout


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("baseline", help="a git revision, e.g. the last commit before a change")
    options.add_argument("--claims", type=int, default=20_000)
    options.add_argument("--turns", type=int, default=2)
    args = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as scratch:
        base = Path(scratch) / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), args.baseline],
            cwd=ROOT,
            check=True,
        )
        bench = Path(scratch) / "bench"
        shutil.copytree(ROOT / "benchmarks", bench / "benchmarks")
        try:
            best = {"baseline": 0.0, "this tree": 0.0}
            for turn in range(args.turns):
                for name, code in (("baseline", base), ("this tree", ROOT)):
                    rate, output = run(code, bench, args.claims)
                    best[name] = max(best[name], rate)
                    revision = args.baseline if code is base else "HEAD"
                    print(f"--- {name} ({revision}), turn {turn + 1}")
                    print(output, end="", flush=True)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False
            )
    ratio = best["this tree"] / best["baseline"]
    print(
        f"engine against {args.baseline}: {best['this tree']:,.0f} vs {best['baseline']:,.0f} "
        f"claims/s (best of {args.turns} each), {ratio:.2f} x"
    )


if __name__ == "__main__":
    main()
