"""Signing in with a token in a real browser: a page asked for without a session leads to the
login page, a wrong token is refused there, the right one leads back to the page first asked
for, with a session cookie the page's scripts cannot read; signing out ends it."""

import pytest
from flowsight import processes  # noqa: F401  (a fixture)

TOKEN = "browser-test-token-0123456789"


@pytest.fixture()
def flowsight(processes, tmp_path):
    return processes(["serve", "--token", TOKEN], tmp_path / "store").url


def test_a_person_signs_in_with_a_token_and_out_again(browser, flowsight):
    page = browser.new_page()
    page.goto(flowsight + "/variants")
    assert page.url.startswith(flowsight + "/login?next="), page.url
    page.fill("#token", "not-the-token-at-all")
    page.click("button[type=submit]")
    assert page.locator("#login-error").inner_text() == "That token is not valid."
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(flowsight + "/variants")
    assert page.title().startswith("Variants")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["flowsight_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == "", "scripts cannot read the session"
    page.goto(flowsight + "/map")
    assert page.url == flowsight + "/map", "the session holds across pages"
    page.evaluate("fetch('/logout', {method: 'POST'})")
    page.goto(flowsight + "/map")
    assert page.url.startswith(flowsight + "/login"), "signed out"
    page.close()
