#!/usr/bin/env python3
"""Fail if any module, test or script reaches a path above the repository root.

Looks for `Path(__file__)...parents[N]` climbing past the root and for literal `../`
paths that leave the tree (`make test` runs this; a clone with nothing beside it must pass).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARENTS = re.compile(r"__file__\)\.resolve\(\)\.parents\[(\d+)\]")
UPWARD = re.compile(r"""["'](?:\.\./)+[^"']*["']""")


def problems(path: Path) -> list[str]:
    depth = len(path.relative_to(ROOT).parts) - 1  # folders between the root and the file
    found = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        for match in PARENTS.finditer(line):
            if int(match.group(1)) >= depth + 1:
                found.append(f"{path.relative_to(ROOT)}:{number}: climbs above the repository")
        for match in UPWARD.finditer(line):
            levels = match.group(0).count("../")
            if levels > depth:
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)} leaves it")
    return found


def main() -> int:
    files = [
        p
        for folder in ("service", "contracts", "tests", "benchmarks", "scripts")
        for p in (ROOT / folder).rglob("*.py")
    ]
    found = [problem for path in files for problem in problems(path)]
    for problem in found:
        print(f"self-contained check: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
