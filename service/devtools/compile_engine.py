"""`make compiled`: build `service/domain` with mypyc into build/compiled/ (service/compiled.py
says when it is used).

mypyc compiles in a scratch copy of the sources (`service/`, `contracts/`), never in the
checkout: an extension module beside its `.py` file would be imported instead of it even
after the source changed. Only the extension modules are kept, with a manifest of the
sources they were built from. The checkout's pyproject.toml is left out of the scratch copy
(setuptools, which mypyc drives, refuses its SPDX licence string); mypy's settings for
the build are written there instead.

Usage: python -m service.devtools.compile_engine [--into DIR]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from service.compiled import BUILD, MANIFEST, PACKAGE, ROOT, interpreter, source_digests

MYPY_SETTINGS = "[mypy]\nstrict = True\nplugins = pydantic.mypy\n"


def build(into: Path = BUILD, root: Path = ROOT) -> Path:
    """Compile, then replace `into` with the extension modules and their manifest."""
    digests = source_digests(root)
    with tempfile.TemporaryDirectory(prefix="claim-edit-mypyc-") as scratch:
        work = Path(scratch)
        for package in ("service", "contracts"):
            shutil.copytree(
                root / package, work / package, ignore=shutil.ignore_patterns("__pycache__")
            )
        (work / "mypy.ini").write_text(MYPY_SETTINGS, encoding="utf-8")
        if source_digests(work) != digests:
            raise RuntimeError("the sources changed while they were copied: build again")
        mypyc = Path(sys.executable).with_name("mypyc")
        subprocess.run([str(mypyc), PACKAGE.as_posix()], cwd=work, check=True)
        staged = work / "staged"
        for library in (work / "build").glob("lib.*"):
            for module in library.rglob("*"):
                if module.is_file() and module.suffix in (".so", ".pyd"):
                    target = staged / module.relative_to(library)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(module, target)
        if not any((staged / PACKAGE).rglob("engine.*")):
            raise RuntimeError("mypyc wrote no extension module for the engine")
        manifest = {"interpreter": interpreter(), "sources": digests}
        (staged / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if into.exists():
            shutil.rmtree(into)
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, into)
    return into


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--into", type=Path, default=BUILD, help=f"default {BUILD}")
    args = options.parse_args()
    built = build(args.into)
    print(f"compiled {PACKAGE} into {built}; use it with CLAIM_EDIT_COMPILED=1")


if __name__ == "__main__":
    main()
