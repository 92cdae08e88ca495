"""The optional compiled engine: `service/domain` built with mypyc (`make compiled`).

The build lives apart from the source, in build/compiled/ (extension modules only, never
beside the `.py` files, where Python would prefer them even after the source changed). It
is used only when CLAIM_EDIT_COMPILED is set (`1`, or the build's folder) and its manifest
names every source file of `service/domain`, byte for byte (sha256), for this Python;
otherwise the pure-Python source runs and one line on stderr says why. So a stale build
never shadows edited source: editing one file of the engine turns the whole build off.
The pure-Python engine stays the default and the one the tests run.
"""

import hashlib
import json
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "compiled"
PACKAGE = Path("service") / "domain"
MANIFEST = "manifest.json"
SWITCH = "CLAIM_EDIT_COMPILED"


def source_digests(root: Path) -> dict[str, str]:
    """sha256 of every source file of the compiled package, by path from `root`."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((root / PACKAGE).rglob("*.py"))
    }


def interpreter() -> str:
    """What an extension module is built for: the implementation, version and ABI."""
    return f"{sys.implementation.cache_tag} {EXTENSION_SUFFIXES[0]}"


def why_not_used(build: Path, root: Path = ROOT) -> str | None:
    """Why the build in `build` cannot run the source under `root`; None when it can."""
    try:
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no compiled build in {build} (make compiled)"
    except ValueError:
        return f"{build / MANIFEST} is not a manifest (make compiled)"
    if manifest.get("interpreter") != interpreter():
        return f"built for {manifest.get('interpreter')}, this is {interpreter()}"
    built = manifest.get("sources", {})
    now = source_digests(root)
    changed = sorted(name for name in now.keys() | built.keys() if now.get(name) != built.get(name))
    if changed:
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        return f"{changed[0]}{more} changed since the build (make compiled)"
    return None


def activate(build: Path = BUILD, root: Path = ROOT) -> str | None:
    """Put the build before the source of `service.domain`, when it is the source's own;
    the reason it is not used otherwise. Call before any module of `service.domain` is
    imported (service/__init__.py does)."""
    reason = why_not_used(build, root)
    if reason is not None:
        print(f"claim-edit: running the pure-Python engine: {reason}", file=sys.stderr)
        return reason
    sys.path.append(str(build))  # mypyc's shared library, a top-level module
    import service.domain

    service.domain.__path__.insert(0, str(build / PACKAGE))
    return None


def requested() -> Path | None:
    """The build CLAIM_EDIT_COMPILED asks for: `1`/`true`/`yes` the default one, another
    value a folder; None when unset, empty or `0`/`false`/`no`."""
    value = os.environ.get(SWITCH, "").strip()
    if value.lower() in ("", "0", "false", "no"):
        return None
    if value.lower() in ("1", "true", "yes"):
        return BUILD
    return Path(value)


def engine_build() -> str:
    """`compiled` when the engine module in use is an extension module, else `pure`."""
    import service.domain.engine

    origin = service.domain.engine.__file__ or ""
    return "compiled" if origin.endswith(tuple(EXTENSION_SUFFIXES)) else "pure"
