"""Issue 12: the member's token is in the address of every answering page (/s/<token>/), so it
must never reach a third party in a Referer header.

A second local HTTP server on another port plays the third party (another origin): it records
the Referer of every request it gets. In Chromium a member opens their page, follows a link to
that site, and the site gets no Referer at all (`Referrer-Policy: same-origin`). Every member
page says that policy, and no member page loads anything from another origin.

The poll's intro names the third party's address, but intros are plain text today
(`linebreaksbr` in templates/polls/answer.html: no Markdown, no links), so the test puts an
ordinary link (no `rel`) on the page itself, as a Markdown intro, a link in a question or a
browser extension would: the header is what must hold, whatever makes the link. A control
test shows the recorder does see the token when the page's policy is loosened."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from polls.models import Invitation
from tests.factories import PollFactory, invitation_with_token, single_choice_question


class ThirdParty:
    """Another origin on 127.0.0.1: records (path, Referer or None) of each request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None]] = []
        self.got_one = threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.requests.append((self.path, self.headers.get("Referer")))
                recorder.got_one.set()
                body = (
                    b'<!DOCTYPE html><link rel="icon" href="data:,">'
                    b"<title>Elsewhere</title><h1>Elsewhere</h1>"
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def third_party():
    site = ThirdParty()
    yield site
    site.close()


@pytest.fixture
def member_link(live_server, third_party):
    poll = PollFactory(
        slug="arbetsmiljo-2026",
        intro_sv=f"Läs mer om undersökningen på {third_party.url}/om-undersokningen",
    )
    single_choice_question(poll)
    invitation, token = invitation_with_token(poll)
    return {"url": f"{live_server.url}/s/{token}/", "token": token, "invitation": invitation}


def follow_a_link_to(page, url: str) -> None:
    """An ordinary link on the member's page (no rel, same tab), clicked by the member."""
    page.evaluate(
        """url => {
            const a = document.createElement("a");
            a.href = url;
            a.id = "elsewhere";
            a.textContent = "Läs mer";
            document.querySelector("main").append(a);
        }""",
        url,
    )
    with page.expect_navigation():
        page.locator("#elsewhere").click()


@pytest.mark.django_db(transaction=True)
def test_a_link_from_the_member_page_sends_no_referer_to_the_third_party(
    browser_page, member_link, live_server, third_party
):
    response = browser_page.goto(member_link["url"])
    assert response.headers["referrer-policy"] == "same-origin"
    assert third_party.url in browser_page.locator("main").inner_text()  # the intro names it

    follow_a_link_to(browser_page, f"{third_party.url}/om-undersokningen")

    assert third_party.got_one.wait(10)
    assert browser_page.locator("h1").inner_text() == "Elsewhere"
    # The click's request came without a Referer; nothing at all named the member's page.
    assert third_party.requests[0] == ("/om-undersokningen", None)
    assert not any(
        member_link["token"] in (referer or "") or (referer or "").startswith(live_server.url)
        for _path, referer in third_party.requests
    ), third_party.requests


@pytest.mark.django_db(transaction=True)
def test_the_recorder_sees_the_token_when_the_page_lets_it_leak(
    browser_page, member_link, live_server, third_party
):
    """The control: with the policy loosened to unsafe-url (the response rewritten in the
    browser), the same click hands the token over. So the test above can fail."""

    def loosened(route):
        response = route.fetch()
        headers = {**response.headers, "referrer-policy": "unsafe-url"}
        route.fulfill(response=response, headers=headers)

    browser_page.route(f"{live_server.url}/s/**", loosened)
    browser_page.goto(member_link["url"])

    follow_a_link_to(browser_page, f"{third_party.url}/om-undersokningen")

    assert third_party.got_one.wait(10)
    assert third_party.requests[0][1] == member_link["url"]


@pytest.mark.django_db(transaction=True)
def test_every_member_page_says_same_origin_and_loads_nothing_from_elsewhere(
    browser_page, member_link, live_server, third_party
):
    own = urlsplit(live_server.url)
    requests: list[str] = []
    responses = []
    browser_page.on("request", lambda request: requests.append(request.url))
    browser_page.on("response", lambda response: responses.append(response))

    # The first page, a submit without an answer (the error page), the answer, the thanks.
    browser_page.goto(member_link["url"])
    browser_page.get_by_role("button", name="Skicka mina svar").click()
    browser_page.get_by_role("alert").wait_for()
    browser_page.get_by_label("Ganska").check()
    with browser_page.expect_navigation():
        browser_page.get_by_role("button", name="Skicka mina svar").click()
    member_link["invitation"].refresh_from_db()
    assert member_link["invitation"].status == Invitation.Status.COMPLETED
    # The link again after submitting, and a link that does not work.
    browser_page.goto(member_link["url"])
    browser_page.goto(f"{live_server.url}/s/not-a-real-token-000000/")

    elsewhere = [url for url in requests if urlsplit(url)[:2] != own[:2]]
    assert not elsewhere, elsewhere
    assert third_party.requests == []
    pages = [
        r
        for r in responses
        if r.request.resource_type in ("document", "fetch", "xhr")
        and urlsplit(r.url).path.startswith("/s/")
    ]
    assert len(pages) >= 5
    assert {(r.url, r.headers.get("referrer-policy")) for r in pages} == {
        (r.url, "same-origin") for r in pages
    }
