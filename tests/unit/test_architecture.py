"""The floors of the code base: each imports only the floors below it (README, "How it is
built"). Read from the source with ast, so a late import inside a function counts too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# floor → the packages it may import from the project (besides its own)
ALLOWED = {
    "contracts": set(),
    "service/domain": {"contracts"},
    # an adapter implements a port the use cases declare (the claim memory), nothing else
    "service/adapters": {"contracts", "service.domain", "service.config", "service.app.memory"},
    "service/app": {
        "contracts",
        "service.domain",
        "service.adapters",
        "service.config",
        "service.observability",
    },
    "service/stream": {"contracts", "service.app", "service.observability", "service.config"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] in {"service", "contracts"}}


@pytest.mark.parametrize("floor", sorted(ALLOWED))
def test_a_floor_imports_only_the_floors_below_it(floor: str) -> None:
    own = floor.replace("/", ".")
    allowed = ALLOWED[floor] | {own}
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / floor).rglob("*.py")
        for name in _imports(path)
        if not any(name == a or name.startswith(a + ".") for a in allowed)
    }
    assert not wrong, sorted(wrong)


def test_the_stream_knows_records_and_outputs_not_claims_or_x12() -> None:
    named = {
        f"{path.name} imports {name}"
        for path in (ROOT / "service/stream").rglob("*.py")
        for name in _imports(path)
        if name.startswith(("service.app.edit_", "service.adapters.x12", "contracts"))
    }
    assert not named, sorted(named)
