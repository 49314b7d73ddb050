"""Benchmark: a published result page served from the cache under gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medlemsrost_bench_public \\
        REDIS_URL=redis://127.0.0.1:6379/3 PYTHONPATH=. uv run python bench/public_page.py \\
        [--duration 20] [--concurrency 32] [--workers 2]

Migrates the database and seeds the demo poll with its published page (`manage.py seed_demo`),
starts `gunicorn config.wsgi` (threaded workers, as docker-compose.yml) on 127.0.0.1, warms
the page's cache with one GET, then runs the load driver (bench/_get_load.py, aiohttp) in a
separate process against /r/<slug>/. Prints requests/s, p50/p99, errors and the machine line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from _setup import ROOT, ensure_database, machine_line

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/medlemsrost_bench_public"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    ensure_database("medlemsrost_bench_public")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, cwd=ROOT)
    import django

    django.setup()
    from results.models import ResultPage

    page = ResultPage.objects.filter(state="published").first()
    if page is None:
        subprocess.run([*manage, "seed_demo"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        page = ResultPage.objects.filter(state="published").first()
    assert page is not None, "seed_demo published no page"
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--preload",  # as docker-compose.yml runs it
            # as docker-compose.yml runs it (BENCH_GUNICORN_ARGS="--worker-class sync" to compare)
            *os.environ.get("BENCH_GUNICORN_ARGS", "--worker-class gthread --threads 8").split(),
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost"},
    )
    url = f"http://127.0.0.1:{port}/r/{page.slug}/"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.2)
        load = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "_get_load.py"),
                "--url",
                url,
                "--duration",
                str(args.duration),
                "--concurrency",
                str(args.concurrency),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        found = json.loads(load.stdout)
    finally:
        server.terminate()
        server.wait(timeout=30)
    rate = found["requests"] / found["elapsed"]
    print(
        f"public page {url}: {rate:,.0f} requests/s over {found['elapsed']:.1f} s, "
        f"p50 {found['p50_ms']:.1f} ms, p99 {found['p99_ms']:.1f} ms, errors {found['errors']}"
    )
    print(
        machine_line(
            f"gunicorn {args.workers} workers,"
            f" {os.environ.get('BENCH_GUNICORN_ARGS', '--worker-class gthread --threads 8')}",
            f"{args.concurrency} clients",
            f"cache {'Redis' if os.environ.get('REDIS_URL') else 'local memory'}",
        )
    )


if __name__ == "__main__":
    main()
