"""The optional compiled engine (service/compiled.py): used only while it is the source's
own build, for this Python; the same outcome bytes as the pure-Python engine when it is."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from service.compiled import (
    MANIFEST,
    ROOT,
    SWITCH,
    engine_build,
    interpreter,
    requested,
    source_digests,
    why_not_used,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A checkout of two engine files and a build whose manifest names them as they are."""
    root = tmp_path / "checkout"
    package = root / "service" / "domain"
    (package / "edits").mkdir(parents=True)
    (package / "engine.py").write_text("ENGINE = 1\n")
    (package / "edits" / "bundling.py").write_text("EDIT = 1\n")
    build = tmp_path / "build"
    build.mkdir()
    manifest = {"interpreter": interpreter(), "sources": source_digests(root)}
    (build / MANIFEST).write_text(json.dumps(manifest))
    return tmp_path


def test_a_build_of_the_sources_as_they_are_is_used(tree: Path) -> None:
    assert why_not_used(tree / "build", tree / "checkout") is None


def test_an_edited_source_file_turns_the_whole_build_off(tree: Path) -> None:
    (tree / "checkout" / "service" / "domain" / "edits" / "bundling.py").write_text("EDIT = 2\n")
    reason = why_not_used(tree / "build", tree / "checkout")
    assert reason is not None and "service/domain/edits/bundling.py" in reason


def test_a_source_file_added_or_removed_since_the_build_turns_it_off(tree: Path) -> None:
    added = tree / "checkout" / "service" / "domain" / "payable.py"
    added.write_text("PAYABLE = 1\n")
    assert "payable.py" in (why_not_used(tree / "build", tree / "checkout") or "")
    added.unlink()
    (tree / "checkout" / "service" / "domain" / "engine.py").unlink()
    assert "engine.py" in (why_not_used(tree / "build", tree / "checkout") or "")


def test_a_build_for_another_python_or_without_a_manifest_is_not_used(tree: Path) -> None:
    manifest = tree / "build" / MANIFEST
    written = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**written, "interpreter": "cpython-399 .so"}))
    assert "cpython-399" in (why_not_used(tree / "build", tree / "checkout") or "")
    manifest.write_text("{not json")
    assert "not a manifest" in (why_not_used(tree / "build", tree / "checkout") or "")
    manifest.unlink()
    assert "make compiled" in (why_not_used(tree / "build", tree / "checkout") or "")


@pytest.mark.parametrize(
    ("value", "wanted"),
    [("", None), ("0", None), ("false", None), ("1", "default"), ("yes", "default")],
)
def test_the_switch_names_the_default_build_or_none(
    value: str, wanted: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SWITCH, value)
    found = requested()
    assert (found is None) if wanted is None else (found == ROOT / "build" / "compiled")


def test_the_switch_may_name_a_build_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SWITCH, "/opt/claim-edit/compiled")
    assert requested() == Path("/opt/claim-edit/compiled")


def test_the_tests_run_the_pure_python_engine() -> None:
    assert os.environ.get(SWITCH, "") in ("", "0")
    assert engine_build() == "pure"


PROBE = textwrap.dedent(
    """
    from service.bootstrap import build_processor, no_memory
    from service.compiled import engine_build
    from tests.unit.test_outcome_bytes_pinned import WITHOUT_MEMORY, outcome_digest, pinned_events

    digest = outcome_digest(build_processor(memory=no_memory), pinned_events())
    print(engine_build(), digest == WITHOUT_MEMORY)
    """
)


def probe(build: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**os.environ, SWITCH: str(build)},
        capture_output=True,
        text=True,
        check=True,
    )


@pytest.mark.compiled
def test_the_compiled_engine_gives_the_pinned_bytes_and_a_stale_one_is_never_run(
    tmp_path: Path,
) -> None:
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler for mypyc")
    from service.devtools.compile_engine import build

    built = build(tmp_path / "compiled")

    fresh = probe(built)
    assert fresh.stdout.split() == ["compiled", "True"], fresh.stderr

    # what an edit of one engine file after the build looks like to the loader
    manifest = json.loads((built / MANIFEST).read_text())
    manifest["sources"]["service/domain/npi.py"] = "0" * 64
    (built / MANIFEST).write_text(json.dumps(manifest))
    stale = probe(built)
    assert stale.stdout.split() == ["pure", "True"]
    assert "service/domain/npi.py changed since the build" in stale.stderr
