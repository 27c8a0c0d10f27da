"""What the browser tests share: Playwright on Debian's Chromium (a test module importing this skips, with
the reason, when Chromium is missing locally; under CI it fails instead), and helpers for Streamlit pages."""

import os

import pytest

from sandbox.bench.app import FLAGS, chromium

TIMEOUT_MS = 120_000
CHROMIUM = chromium()

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it", allow_module_level=True)
if os.environ.get("CI"):
    from playwright import sync_api  # CI installs it: a missing package fails there, it does not skip
else:
    sync_api = pytest.importorskip("playwright.sync_api")


def launch(p):
    return p.chromium.launch(executable_path=CHROMIUM or "/usr/bin/chromium", args=FLAGS)


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']").first.inner_text()


SETTLED = ("() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state')"
           " === 'notRunning'")
CHOOSE_TRIES = 4


def choose(page, label: str, option: str) -> None:
    """Pick a select box's option: type to narrow the list, then take the option named exactly. A rerun that
    draws the box again while its list is open closes the list, so the pick is tried again on the new box."""
    for _ in range(CHOOSE_TRIES):
        page.wait_for_function(SETTLED)
        box = page.get_by_role("combobox", name=label)
        box.click()
        box.fill(option)
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=15_000)
            return
        except sync_api.TimeoutError:
            offered = page.get_by_role("option").all_inner_texts()
            page.keyboard.press("Escape")
    raise AssertionError(f"the select box '{label}' never offered '{option}' (it offered {offered})")
