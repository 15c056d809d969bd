"""Debian's Chromium driven by Playwright (see RECIPES.md), and what the browser tests
check on every page: axe-core's serious findings and CSP violations."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

# `make browser` (run by `make test`) finds or installs one and writes its path here.
_FOUND = Path(__file__).resolve().parents[2] / ".venv" / "chromium-path"
CHROMIUM = os.environ.get("CHROMIUM") or (
    _FOUND.read_text().strip() if _FOUND.exists() else "/usr/bin/chromium"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium. Open it only around browser steps: while Playwright's sync
    API runs, its event loop gives ORM calls a connection of their own (asgiref's
    context-local), which nothing would close."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


AXE = Path(__file__).resolve().parents[1] / "e2e" / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator[Page]:
    """Chromium, open only around browser steps (see test_admin_queue.chromium)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def axe_problems(page: Page) -> list[list[str]]:
    """Serious and critical axe findings, the script injected by Playwright (which our
    CSP allows: Playwright evaluates it as the page's own code, not as an inline tag)."""
    assert AXE.exists(), "axe-core is missing: npm ci --prefix tests/e2e (make test does it)"
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "async () => (await axe.run()).violations.map(v => [v.id, v.impact, v.nodes.length])"
    )
    return [v for v in found if v[1] in ("serious", "critical")]


def csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return errors
