"""The page in a real browser: Debian's Chromium driven by Playwright against ``streamlit run``.

One server for the file, on a free port, with an empty index folder: the page builds the
index of the bundled article on first load, as it does for a new user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.model]

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_SECONDS = 90
WAIT_MS = 90_000  # the first page load builds the index on a possibly busy machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the streamlit server at ``url`` answers its health check; fail with its log if it never does."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app/streamlit_app.py`` on a free port; yields its URL."""
    index = tmp_path_factory.mktemp("browser") / "index"
    port = free_port()
    log = open(index.parent / "streamlit.log", "w+b")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"],
        cwd=ROOT, env={**os.environ, "FUNDSTELLE_INDEX": str(index)}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, Path(log.name))
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium not installed (apt-get install chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(server)
    yield page
    context.close()


def ask(page, question: str) -> None:  # type: ignore[no-untyped-def]
    box = page.get_by_role("textbox", name="Ihre Frage")
    box.fill(question)
    box.press("Enter")


def test_question_shows_the_answer_highlighted(page, tmp_path):
    ask(page, "Wer hat Anthropic gegründet?")
    answer = page.locator(".fs-hit").first.locator("mark.fs-answer")
    answer.wait_for()
    assert answer.inner_text().startswith("Anthropic wurde 2021 von ehemaligen OpenAI-Mitarbeiter:innen gegründet")
    assert page.locator(".fs-hit").first.locator("mark.fs-term", has_text="gegründet").count() == 1
    assert "Dario und Daniela Amodei" in page.locator(".fs-best").inner_text()
    assert "sehr sicher" in page.locator(".fs-best .fs-cue").inner_text()
    shot = tmp_path / "answer.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("FUNDSTELLE_SCREENSHOT"):  # how docs/screenshot.png is made
        shutil.copy(shot, os.environ["FUNDSTELLE_SCREENSHOT"])

    # "Show in document": the whole text, scrolled so that the passage is in view.
    page.get_by_role("button", name="Im Dokument zeigen").first.click()
    target = page.locator(".fs-doc #fs-target")
    target.wait_for()
    page.wait_for_function(
        """() => { const t = document.getElementById('fs-target'), box = t.closest('.fs-doc');
                   const a = t.getBoundingClientRect(), b = box.getBoundingClientRect();
                   return box.scrollTop > 0 && a.top >= b.top && a.top < b.bottom; }""",
        timeout=15_000,
    )
    assert "Project Rainier" in page.locator(".fs-doc").inner_text()
    # The keyboard scrolls the document view: Home to the top, PageDown further down.
    page.locator(".fs-doc").focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => document.querySelector('.fs-doc').scrollTop === 0", timeout=15_000)
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('.fs-doc').scrollTop > 0", timeout=15_000)
    page.screenshot(path=str(tmp_path / "document.png"))


def test_script_in_a_document_is_shown_as_text_and_never_runs(page, tmp_path):
    payload = '<img src=x onerror="window.__xss=1"> <script>window.__xss=1</script>'
    body = f"{payload}\n\nSicherheitstest: Quaxelbrumm steht neben {payload} im Text.\n"
    page.get_by_role("tab", name="Dokumente").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": "payload.txt", "mimeType": "text/plain", "buffer": body.encode()}]
    )
    add = page.get_by_role("button", name="Zum Index hinzufügen")
    page.wait_for_function("() => [...document.querySelectorAll('button')].some("
                           "b => b.innerText.includes('Zum Index hinzufügen') && !b.disabled)")
    add.click()
    page.get_by_text("„payload.txt“ wurde hinzugefügt.").wait_for()
    # The title (the first line) is the payload too, in the document list.
    assert payload in page.locator(".fs-document").filter(has_text="payload.txt").inner_text()

    page.get_by_role("tab", name="Fragen").click()
    page.locator('[data-testid="stSidebar"]').get_by_text("Stichwort", exact=True).click()
    ask(page, "Quaxelbrumm")
    hit = page.locator(".fs-hit").first
    hit.locator("mark.fs-term", has_text="Quaxelbrumm").wait_for()
    assert payload in hit.locator(".fs-text").inner_text()
    page.get_by_role("button", name="Im Dokument zeigen").first.click()
    page.locator(".fs-doc #fs-target").wait_for()
    assert page.locator(".fs-doc").inner_text().count(payload) == 2
    page.screenshot(path=str(tmp_path / "payload.png"))
    time.sleep(0.5)  # an onerror handler would have fired by now
    assert page.evaluate("window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("script", has_text="window.__xss").count() == 0
