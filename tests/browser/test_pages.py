"""The pages in a real browser: Playwright driving Debian's Chromium (`make test` installs it
when it is missing; Playwright's own browser download is not needed).

The API runs in a thread on loopback, on the shipped reference data, with a fake rejections
source. Each worked sample is loaded, submitted and its rendered findings compared with what
the API answers for the sample itself. Screenshots go to docs/images/ with `make screenshots`
(the README shows them).
"""

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.api.app import create_app, samples_document
from service.api.rejections import Seen
from service.app.edit_event import ClaimProcessor, Source
from service.bootstrap import build_processor
from service.config import ApiSettings

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# `make screenshots` writes them to docs/images (the README shows them); a test run writes
# them beside its other temporary files, so it leaves the checkout as it was.
IMAGES = Path(
    os.environ.get("CLAIM_EDIT_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="claim-edit-pages-")
)
TOKEN = "browser-test-token-000001"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SAMPLES = samples_document()

if not Path(CHROMIUM).exists():
    if os.environ.get("CLAIM_EDIT_REQUIRE_BROWSER"):
        raise RuntimeError(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    pytest.skip(f"no Chromium at {CHROMIUM} (make test installs it)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


class Rejections:
    """A fake source whose documents a test may add to while the page watches."""

    def __init__(self, seen: list[Seen]) -> None:
        self.seen = seen

    async def since(self, start: datetime) -> list[Seen]:
        return [(d, at) for d, at in self.seen if at >= start]


REJECTIONS = Rejections([])


def _rejected_documents(processor: ClaimProcessor) -> list[Seen]:
    now = datetime.now(UTC)
    found: list[Seen] = []
    for number, sample in enumerate(SAMPLES):
        raw = orjson.dumps(sample["event"])
        document = orjson.loads(processor.process(raw, Source(), now).value)
        if document["event_type"] == "claim.rejected":
            found.append((document, now - timedelta(minutes=number)))
    return found


@pytest.fixture(scope="module")
def processor() -> ClaimProcessor:
    return build_processor()


@pytest.fixture(scope="module")
def server(processor: ClaimProcessor) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(
        processor,
        ApiSettings(tokens=SecretStr(TOKEN), rate_limit="10000/minute"),
        rejections=REJECTIONS,
    )
    REJECTIONS.seen[:] = _rejected_documents(processor)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=server)
    opened = context.new_page()
    yield opened
    context.close()


def api_outcome(processor: ClaimProcessor, event: dict[str, Any]) -> dict[str, Any]:
    app = create_app(processor, ApiSettings(tokens=SecretStr(TOKEN)))
    with TestClient(app) as client:
        answer = client.post(
            "/v1/claims:check",
            content=orjson.dumps(event),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    outcome: dict[str, Any] = answer.json()
    return outcome


def expected_placement(outcome: dict[str, Any]) -> set[tuple[str, str]]:
    """(line number or "claim", edit id) of every finding, as the page should place them."""
    return {
        (str(n), f["edit_id"]) if f["line_numbers"] else ("claim", f["edit_id"])
        for f in outcome.get("findings", [])
        for n in (f["line_numbers"] or [0])
    }


def rendered_placement(page: Page) -> set[tuple[str, str]]:
    placed: list[list[str]] = page.eval_on_selector_all(
        ".line-result .finding",
        "items => items.map(i => [i.closest('.line-result').dataset.line, i.dataset.editId])",
    )
    return {(line, edit_id) for line, edit_id in placed}


def check_sample(page: Page, name: str) -> None:
    page.goto("/")
    expect(page.locator("body[data-ready=true]")).to_be_visible()
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_label("Worked sample").select_option(label=name)
    page.get_by_role("button", name="Load").click()
    page.get_by_role("button", name="Check the claim").click()
    expect(page.locator("#status")).not_to_have_text("Checking…")
    expect(page.locator("#status")).not_to_be_empty()


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["name"] for s in SAMPLES])
def test_each_sample_shows_the_api_s_findings_on_their_lines(
    page: Page, processor: ClaimProcessor, sample: dict[str, Any]
) -> None:
    check_sample(page, sample["name"])
    outcome = api_outcome(processor, sample["event"])
    verdict = "Accepted" if outcome["event_type"] == "claim.enriched" else "Rejected"
    expect(page.locator("#status")).to_contain_text(f"{verdict}: {outcome['claim_id']}")
    assert rendered_placement(page) == expected_placement(outcome)
    submitted = [str(line["line_number"]) for line in sample["event"]["claim"]["lines"]]
    shown = page.eval_on_selector_all(
        "#line-results .line-result", "sections => sections.map(s => s.dataset.line)"
    )
    assert shown == submitted
    if outcome["event_type"] == "claim.enriched":
        corrected = page.eval_on_selector_all(
            "#corrected-lines tbody tr", "rows => rows.map(r => r.cells[1].textContent)"
        )
        assert corrected == [line["procedure_code"] for line in outcome["claim"]["lines"]]
    if outcome.get("pricing"):
        allowed = page.eval_on_selector_all(
            "#price-lines tbody tr", "rows => rows.map(r => r.cells[3].textContent)"
        )
        assert allowed == [line["allowed"] or "missing" for line in outcome["pricing"]["lines"]]
    if sample["name"] == "no-territory-modifier":
        IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGES / "checker-rejected.png"), full_page=True)
    if sample["name"] == "balloon-and-atherectomy-same-lad":
        page.screenshot(path=str(IMAGES / "checker-corrected.png"), full_page=True)


def test_a_claim_written_in_the_form_with_the_keyboard_is_checked(page: Page) -> None:
    page.goto("/")
    expect(page.locator("body[data-ready=true]")).to_be_visible()
    page.keyboard.press("Tab")  # the first link, then the second, then the token
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(TOKEN)
    page.get_by_label("Line 1 modifiers").fill("")  # the blank claim's 92920 without LD
    page.get_by_label("Claim id").focus()
    page.keyboard.press("Enter")  # a real form: Enter submits it
    expect(page.locator("#status")).to_contain_text("Rejected: CHECK-1")
    assert page.evaluate("document.activeElement.id") == "result"
    assert ("1", "PCI-TERR-002") in rendered_placement(page)


def test_a_claim_with_lines_and_lesions_added_in_the_form_is_what_the_api_edits(
    page: Page, processor: ClaimProcessor
) -> None:
    page.goto("/")
    expect(page.locator("body[data-ready=true]")).to_be_visible()
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_role("button", name="Add a line").click()
    page.get_by_label("Line 2 procedure code").fill("92978")
    page.get_by_label("Line 2 charge").fill("300.00")
    page.get_by_label("Line 2 service date").fill("2026-03-02")
    page.get_by_label("Line 1 modifiers").fill("")
    page.get_by_role("button", name="Add a lesion").click()
    page.get_by_label("Lesion L1 segments").fill("12")
    page.get_by_label("Lesion L1 treatments").fill("balloon")
    page.get_by_label("Lesion L1 line number").fill("1")
    page.get_by_label("Lesion L1 calcification").select_option("severe")
    with page.expect_request("**/v1/claims:check") as sent:
        page.get_by_role("button", name="Check the claim").click()
    expect(page.locator("#status")).not_to_have_text("Checking…")
    expect(page.locator("#status")).to_contain_text("CHECK-1")
    submitted = orjson.loads(sent.value.post_data_buffer or b"")
    claim = submitted["claim"]
    assert [(ln["procedure_code"], ln["modifiers"]) for ln in claim["lines"]] == [
        ("92920", []),
        ("92978", []),
    ]
    (lesion,) = claim["procedure"]["lesions"]
    assert (lesion["segments"], lesion["treatments"], lesion["calcification"]) == (
        ["12"],
        ["balloon"],
        "severe",
    )
    assert rendered_placement(page) == expected_placement(api_outcome(processor, submitted))


def test_a_wrong_token_says_so(page: Page) -> None:
    page.goto("/")
    expect(page.locator("body[data-ready=true]")).to_be_visible()
    page.get_by_label("API token").fill("not-the-token-at-all-000")
    page.get_by_role("button", name="Check the claim").click()
    expect(page.locator("#status")).to_contain_text("401")


def test_the_rejections_page_shows_the_counts_and_the_claims_behind_them(page: Page) -> None:
    page.goto("/rejections")
    expect(page.locator("body[data-ready=true]")).to_be_visible()
    page.get_by_label("API token").fill(TOKEN)
    page.get_by_label("Last minutes").fill("60")
    page.get_by_label("Refresh every (s)").fill("2")
    page.get_by_role("button", name="Watch").click()
    expect(page.locator("#status")).to_contain_text("rejected claim(s)")
    view = page.evaluate(
        "async (token) => (await fetch('/v1/rejections?minutes=60', "
        "{headers: {Authorization: 'Bearer ' + token}})).json()",
        TOKEN,
    )
    expect(page.locator("#status")).to_contain_text(f"{view['rejected']} rejected claim(s)")
    shown = page.eval_on_selector_all(
        "#by-edit details",
        "items => items.map(d => [d.dataset.key, d.querySelector('.count').textContent])",
    )
    assert shown == [[g["key"], str(g["count"])] for g in view["by_edit"]]
    key = view["by_edit"][0]["key"]
    first = page.locator(f"#by-edit details[data-key='{key}']")
    first.locator("summary").click()
    expect(first.locator(".claim-id").first).to_be_visible()
    page.screenshot(path=str(IMAGES / "rejections.png"), full_page=True)
    # a rejection committed meanwhile shows at the next refresh, without a reload
    latest, _ = REJECTIONS.seen[0]
    REJECTIONS.seen.append(({**latest, "claim_id": "LATE-1"}, datetime.now(UTC)))
    expect(page.locator("#status")).to_contain_text(
        f"{view['rejected'] + 1} rejected claim(s)", timeout=10_000
    )
    expect(first).to_have_attribute("open", "")  # an opened count stays open
