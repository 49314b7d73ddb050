"""Benchmark: the worker CPU one member's answering costs, in-process, without a load driver.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench_answering \\
        PYTHONPATH=. uv run python bench/answering_cpu.py [--pages 1|4] [--journeys 300] [--profile]

The same two 20-question polls as bench/answering.py (it empties that database's polls). Each
journey is a fresh member through Django's full request handler (every middleware, CSRF
enforced, the product's settings with DEBUG off): GET the form, POST each page, GET after each
redirect, to the thank-you page. Prints the process CPU (time.process_time: Python's own work,
not PostgreSQL's or Redis') per request type, median over the journeys after a warm-up, and
with --profile the functions that take the most of it (cProfile timing process CPU, so waits
for PostgreSQL and for a busy machine do not count).

This is the figure the levers of issue 14 move. Unlike requests per second under a load driver it
hardly depends on what else runs on the machine, so it can be compared between runs on a shared
machine; the throughput ratio in bench/answering.py is the target's measure.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from urllib.parse import urlencode

from _setup import ensure_database, machine_line

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/medlemsrost_bench_answering"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAGE = re.compile(r'name="page" value="([^"]*)"')
RADIO = re.compile(r'type="radio" name="([^"]+)" value="([^"]+)"')
WARM_UP = 20
FORM = "application/x-www-form-urlencoded"
POST_PROFILER = None  # --profile-posts: only the POSTs
# --split: the process CPU spent inside each of these (as its callers see it: "module:name" or
# "module:Class.method", patched where it is looked up), per journey. Unlike --profile it costs
# two clock reads per call, so small functions are not inflated. SPLIT="..." replaces the list.
SPLIT = (
    "django.core.handlers.wsgi:WSGIHandler.__call__",
    "django.core.handlers.base:BaseHandler._get_response",
    "polls.answering.limits:is_ratelimited",
    "django.middleware.csrf:CsrfViewMiddleware.process_view",
    "polls.answering.views:invitation_by_token",
    "polls.answering.responses:invitation_with_digest",
    "polls.answering.flow:draft_for",
    "polls.answering.flow:AnswerSheet.__init__",
    "polls.answering.flow:AnswerSheet.update",
    "polls.answering.flow:AnswerSheet.first_invalid",
    "polls.answering.flow:AnswerSheet.answers",
    "polls.answering.page_cache:get_token",
    "polls.answering.flow:response_submit",
    "polls.answering.responses:_submit_in_one_statement",
    "results.caching:_count_in",
    "polls.answering.flow:_thanks_page",
    "django.http.request:HttpRequest._load_post_and_files",
)


class Response:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status_code = int(status.split()[0])
        self.headers = headers
        self.content = body


class WsgiClient:
    """A browser's requests straight into the WSGI handler, as gunicorn calls it (Django's test
    client adds its own work: template signals, response copies, the request factory)."""

    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()
        self.cookies: dict[str, str] = {}

    def _call(self, method: str, url: str, body: bytes = b"") -> Response:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": url,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "HTTP_USER_AGENT": "Mozilla/5.0 (bench)",
            "HTTP_ACCEPT_LANGUAGE": "sv-SE,sv;q=0.9",
        }
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            environ["CONTENT_TYPE"] = FORM
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["HTTP_ORIGIN"] = "http://127.0.0.1"
            environ["HTTP_REFERER"] = f"http://127.0.0.1{url}"
        started: list = []

        def start_response(status, headers, exc_info=None):
            started[:] = [status, headers]

        result = self.app(environ, start_response)
        try:
            body_out = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        for name, value in started[1]:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return Response(started[0], started[1], body_out)

    def get(self, url: str) -> Response:
        return self._call("GET", url)

    def post(self, url: str, body: str, content_type: str = FORM) -> Response:
        return self._call("POST", url, body.encode())


def journey(client, token: str, timings: dict[str, list[float]]) -> None:
    url = f"/s/{token}/"
    rng = random.Random(token)

    def timed(kind: str, call, *args, **kwargs):
        started = time.process_time()
        response = call(*args, **kwargs)
        timings[kind].append((time.process_time() - started) * 1000)
        return response

    response = timed("GET page", client.get, url)
    for _ in range(10):
        html = response.content.decode()
        assert response.status_code == 200, (response.status_code, html[:300])
        choices: dict[str, list[str]] = defaultdict(list)
        for name, value in RADIO.findall(html):
            choices[name].append(value)
        data = {
            "csrfmiddlewaretoken": CSRF.search(html).group(1),
            "page": PAGE.search(html).group(1),
            "action": "next",
            **{name: rng.choice(values) for name, values in choices.items()},
        }
        started = time.process_time()
        if POST_PROFILER:
            POST_PROFILER.enable()
        # As a browser posts a form (the test client's default is multipart, dearer to parse).
        response = client.post(url, urlencode(data), content_type=FORM)
        if POST_PROFILER:
            POST_PROFILER.disable()
        elapsed = (time.process_time() - started) * 1000
        if response.status_code == 302:
            timings["POST next"].append(elapsed)
            response = timed("GET page", client.get, url)
            continue
        assert response.status_code == 200, response.status_code
        timings["POST submit"].append(elapsed)
        return
    raise AssertionError("too many pages")


def _minimal_journey(questions: dict):
    """The minimal view's journey, as bench/_load.py drives it: one POST of every answer."""

    def minimal(client, token: str, timings: dict[str, list[float]]) -> None:
        rng = random.Random(token)
        body = urlencode({f"q{qid}": str(rng.choice(opts)) for qid, opts in questions.items()})
        started = time.process_time()
        response = client.post(f"/min/{token}/", body)
        timings["POST minimal"].append((time.process_time() - started) * 1000)
        assert response.status_code == 200, response.status_code

    return minimal


def _split(names: list[str]) -> dict[str, tuple[list[int], list[float]]]:
    """Wraps each named function with a process-CPU accumulator (outermost calls only)."""
    import functools
    import importlib

    found: dict[str, tuple[list[int], list[float]]] = {}
    for name in filter(None, (n.strip() for n in names)):
        module_name, _, path = name.partition(":")
        owner: object = importlib.import_module(module_name)
        *parents, attribute = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = getattr(owner, attribute)
        calls, seconds, depth = [0], [0.0], [0]

        def wrapper(*args, _original=original, _c=calls, _s=seconds, _d=depth, **kwargs):
            if _d[0]:
                return _original(*args, **kwargs)
            _d[0] += 1
            started = time.process_time()
            try:
                return _original(*args, **kwargs)
            finally:
                _s[0] += time.process_time() - started
                _c[0] += 1
                _d[0] -= 1

        setattr(owner, attribute, functools.wraps(original)(wrapper))
        found[name] = (calls, seconds)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, choices=[1, 4], default=1)
    parser.add_argument("--journeys", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-posts", action="store_true")
    parser.add_argument("--split", action="store_true")
    parser.add_argument(
        "--minimal",
        action="store_true",
        help="the minimal view instead (bench._minimal_settings): its one POST per submission",
    )
    args = parser.parse_args()

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "bench._minimal_settings" if args.minimal else "config.settings"
    )
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("MEMBER_RATE_PER_IP", "1000000/m")  # one address, as bench/answering.py
    ensure_database("medlemsrost_bench_answering")
    import django

    django.setup()
    from answering import build  # bench/answering.py
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    built = build(pages=args.pages, invitations=args.journeys + WARM_UP)
    plan = built["flow"]
    tokens = plan["tokens"]
    if args.minimal:
        global journey
        journey = _minimal_journey(built["ceiling"]["questions"])
        tokens = built["ceiling"]["tokens"][: args.journeys + WARM_UP]
    timings: dict[str, list[float]] = defaultdict(list)
    # One client (one request handler, its middleware loaded once, as in a worker); its cookies
    # are cleared before each journey: every journey is another member's browser.
    # Patched before the handler loads its middleware, which binds their methods once.
    split = _split(os.environ.get("SPLIT", ",".join(SPLIT)).split(",")) if args.split else {}
    client = WsgiClient()
    for token in tokens[:WARM_UP]:
        client.cookies.clear()
        journey(client, token, defaultdict(list))

    for calls, seconds in split.values():  # the warm-up's calls do not count
        calls[0], seconds[0] = 0, 0.0
    profiler = None
    global POST_PROFILER
    if args.profile_posts:
        import cProfile

        profiler = POST_PROFILER = cProfile.Profile(time.process_time)
    elif args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    # BENCH_CALLGRIND=1 under `valgrind --tool=callgrind --collect-atstart=no`: the instructions
    # of the journeys alone (a count that a busy machine does not change, unlike CPU time).
    callgrind = os.environ.get("BENCH_CALLGRIND")
    if callgrind:
        import subprocess

        subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True)
    started = time.perf_counter()
    for token in tokens[WARM_UP:]:
        client.cookies.clear()
        journey(client, token, timings)
    wall = time.perf_counter() - started
    if callgrind:
        subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], check=True)
    if profiler and not POST_PROFILER:
        profiler.disable()

    print(
        f"20 questions on {args.pages} page(s), {args.journeys} journeys in-process, {wall:.1f} s"
    )
    total = 0.0
    for kind in ("GET page", "POST next", "POST submit", "POST minimal"):
        values = timings.get(kind)
        if not values:
            continue
        total += sum(values)
        print(
            f"  {kind:<12} n={len(values):>5}  CPU median {statistics.median(values):6.2f} ms"
            f"  mean {statistics.fmean(values):6.2f} ms"
        )
    print(f"  CPU per submission (all its requests): {total / args.journeys:.2f} ms")
    for name, (calls, seconds) in split.items():
        print(
            f"  {name:<60} {calls[0] / args.journeys:5.1f} calls"
            f" {seconds[0] * 1000 / args.journeys:6.3f} ms per submission"
        )
    if profiler:
        import pstats

        pstats.Stats(profiler, stream=sys.stdout).sort_stats(
            os.environ.get("SORT", "cumulative")
        ).print_stats(int(os.environ.get("TOP", "35")))
        if os.environ.get("CALLERS"):
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_callers(
                os.environ["CALLERS"]
            )
    print(machine_line("in-process (the WSGI handler called directly)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
