"""The load driver of bench/answering.py, run as a process of its own (never imported by the app).

    python bench/_load.py --mode flow|minimal --base http://127.0.0.1:PORT --plan plan.json \\
        --duration 30 --concurrency 64

`plan.json` holds the tokens to use and, for the minimal view, the poll's question and option
ids. `--concurrency` members answer at once, each member a coroutine with a cookie jar of its own:

- flow: the real answering flow. GET /s/<token>/, read the CSRF token and the radio buttons of
  the page, POST the page with an answer to every question (Next), follow the redirect with a
  GET, and so on until the POST of the last page returns the thank-you page.
- minimal: one POST of a whole submission to the bench's minimal view (/min/<token>/).

With `--base` given more than once, the requests go to the servers in turn, each request to the
next one (a load balancer without sticky sessions: one member's pages come from several
servers); the output counts requests and submissions per server.

New journeys start until `--duration` seconds have passed; those under way then finish (each
request times out after 30 s), so the run stops by itself. Prints one JSON object on stdout:
submissions, errors (by kind, with a few examples), latencies per request type (ms) and the
elapsed time. Loopback only: the base URL must be 127.0.0.1 or localhost.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

import aiohttp

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RADIO = re.compile(r'<input type="radio" name="(q\d+)" value="(\d+)"')
PAGE = re.compile(r'<input type="hidden" name="page" value="(\d+)"')
THANKS = ("Tack för att du svarade", "Thank you for answering")
REQUEST_TIMEOUT = 30.0
KEEPALIVE = 1.0  # seconds an idle connection is kept, below gunicorn's --keep-alive (2 s)
MAX_PAGES = 50  # a journey that goes on longer than this is an error, not a loop


class Run:
    def __init__(self, tokens: list[str], duration: float, bases: list[str]) -> None:
        self.tokens = iter(tokens)
        self.bases = itertools.cycle(bases)
        self.requests_by_base: Counter[str] = Counter()
        self.submitted_by_base: Counter[str] = Counter()
        self.deadline = time.monotonic() + duration
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.examples: list[str] = []
        self.submitted = 0
        self.out_of_tokens = False

    def next_token(self) -> str | None:
        if time.monotonic() >= self.deadline:
            return None
        token = next(self.tokens, None)
        if token is None:
            self.out_of_tokens = True
        return token

    def base(self) -> str:
        """The server of the next request (in turn)."""
        base = next(self.bases)
        self.requests_by_base[base] += 1
        return base

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {detail[:300]}")


async def timed(run: Run, kind: str, request) -> tuple[int, str, str]:
    started = time.perf_counter()
    async with request as response:
        body = await response.text()
        status, location = response.status, response.headers.get("Location", "")
    run.latencies[kind].append((time.perf_counter() - started) * 1000)
    return status, body, location


def page_answers(html: str, rng: random.Random) -> dict[str, str]:
    """One radio button of each question on the page, at random."""
    choices: dict[str, list[str]] = defaultdict(list)
    for name, value in RADIO.findall(html):
        choices[name].append(value)
    return {name: rng.choice(values) for name, values in choices.items()}


async def flow_journey(session: aiohttp.ClientSession, run: Run, token: str) -> None:
    path = f"/s/{token}/"
    rng = random.Random(token)
    status, html, _ = await timed(run, "GET page", session.get(run.base() + path))
    for _page in range(MAX_PAGES):
        if status != 200:
            return run.error(f"GET {status}", html)
        csrf, page = CSRF.search(html), PAGE.search(html)
        if not csrf or not page:
            return run.error("GET no form", html)
        data = {
            "csrfmiddlewaretoken": csrf.group(1),
            "page": page.group(1),
            "action": "next",
            **page_answers(html, rng),
        }
        # Which kind of POST this is is known only from its answer; both are timed alike.
        started = time.perf_counter()
        base = run.base()
        async with session.post(base + path, data=data, allow_redirects=False) as response:
            body = await response.text()
            post_status = response.status
        elapsed = (time.perf_counter() - started) * 1000
        if post_status == 302:
            run.latencies["POST next"].append(elapsed)
            status, html, _ = await timed(run, "GET page", session.get(run.base() + path))
            continue
        run.latencies["POST submit"].append(elapsed)
        if post_status == 200 and any(marker in body for marker in THANKS):
            run.submitted += 1
            run.submitted_by_base[base] += 1
            return None
        return run.error(f"POST {post_status}", body)
    run.error("too many pages", path)


async def minimal_journey(
    session: aiohttp.ClientSession, run: Run, token: str, questions: dict
) -> None:
    rng = random.Random(token)
    data = {f"q{qid}": str(rng.choice(options)) for qid, options in questions.items()}
    base = run.base()
    request = session.post(f"{base}/min/{token}/", data=data)
    status, body, _ = await timed(run, "POST minimal", request)
    if status == 200 and body == "ok":
        run.submitted += 1
        run.submitted_by_base[base] += 1
    else:
        run.error(f"POST {status}", body)


async def member(run: Run, args: argparse.Namespace, plan: dict) -> None:
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    # unsafe=True: keep cookies (csrftoken) from an IP address such as 127.0.0.1.
    # An idle connection is dropped after 1 s, before gunicorn's keep-alive (2 s) closes it:
    # otherwise a request can go out on a connection the server is closing at that moment
    # (ServerDisconnectedError), more often with several servers, each connection idling longer.
    async with aiohttp.ClientSession(
        timeout=timeout,
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE),
    ) as session:
        while (token := run.next_token()) is not None:
            session.cookie_jar.clear()  # every journey is another member's browser
            try:
                if args.mode == "flow":
                    await flow_journey(session, run, token)
                else:
                    await minimal_journey(session, run, token, plan["questions"])
            except (TimeoutError, aiohttp.ClientError) as exc:
                run.error(type(exc).__name__, str(exc))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def main_async(args: argparse.Namespace) -> dict:
    with open(args.plan) as f:
        plan = json.load(f)
    tokens = plan["tokens"]
    if args.mode == "minimal":
        # The ceiling reuses its pool of invitations (the minimal view's UPDATE does not care).
        tokens = [tokens[i % len(tokens)] for i in range(args.max_requests)]
    run = Run(tokens, args.duration, args.base)
    started = time.monotonic()
    await asyncio.gather(*(member(run, args, plan) for _ in range(args.concurrency)))
    elapsed = time.monotonic() - started
    return {
        "mode": args.mode,
        "concurrency": args.concurrency,
        "elapsed": elapsed,
        "submitted": run.submitted,
        "per_second": run.submitted / elapsed,
        "requests_by_base": dict(run.requests_by_base),
        "submitted_by_base": dict(run.submitted_by_base),
        "errors": dict(run.errors),
        "error_examples": run.examples,
        "out_of_tokens": run.out_of_tokens,
        "driver_cpu": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "latency_ms": {
            kind: {
                "n": len(values),
                "p50": percentile(values, 50),
                "p95": percentile(values, 95),
                "p99": percentile(values, 99),
                "max": max(values),
            }
            for kind, values in sorted(run.latencies.items())
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["flow", "minimal"], required=True)
    parser.add_argument("--base", required=True, action="append", help="once per server")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-requests", type=int, default=200_000)
    args = parser.parse_args()
    if any(urlsplit(b).hostname not in ("127.0.0.1", "localhost", "::1") for b in args.base):
        parser.error("the load driver runs on loopback only")
    print(json.dumps(asyncio.run(main_async(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
