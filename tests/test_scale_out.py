"""Scale-out on one machine (issue 12): two gunicorn servers and two Celery workers, each a
process of its own as two hosts would run them, against one PostgreSQL (the test database) and
one Redis (a private key prefix). Members answer with their requests split across both servers,
invitations go out through both workers, and nothing is lost or duplicated.

The load driver is bench/_load.py (aiohttp, the real answering flow with CSRF), in a process of
its own, sending each request to the next server in turn: one member's pages come from both
servers, as behind a load balancer without sticky sessions. Every simulated member comes from
127.0.0.1, so the per-address rate limit is lifted for the servers (MEMBER_RATE_PER_IP); the
limits themselves are tests/test_guessing_loop.py's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction

from polls.models import Answer, Invitation, Poll, Response
from tests import services
from tests.servers import ROOT, Gunicorn, app_env, poll_with_invitations

MEMBERS_ANSWERING = 300
MEMBERS_INVITED = 400
BATCH = 20  # e-mails per task: 20 tasks for the two workers to share
SUCCEEDED = re.compile(r"send_invitation_batch\[[^\]]+\] succeeded")


@dataclass
class Cluster:
    webs: list[Gunicorn]
    workers: list[services.CeleryWorker]
    smtp: services.SmtpServer
    prefix: str
    redis_url: str


@pytest.fixture(scope="module")
def cluster(django_db_setup: None, django_db_blocker, tmp_path_factory) -> Iterator[Cluster]:
    """Two servers and two workers on the test database; every process stopped afterwards, even
    when one of them failed to start."""
    services.require_postgres()
    services.require_redis()
    from django.db import connection

    with django_db_blocker.unblock():
        database_url = services.database_url(connection.settings_dict)
    redis_url = services.redis_url()
    prefix = f"test-scale-{uuid.uuid4().hex[:12]}-"
    smtp = services.SmtpServer().start()
    log_dir = tmp_path_factory.mktemp("scale-out")
    env = app_env(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=prefix,
        CELERY_KEY_PREFIX=prefix,
        EMAIL_URL=smtp.url,
        SITE_URL="https://medlemsrost.example.org",
        MEMBER_RATE_PER_IP="1000000/m",
    )
    webs: list[Gunicorn] = []
    workers = [
        services.CeleryWorker(
            prefix=prefix, redis_url=redis_url, database_url=database_url, smtp=smtp, name=name
        )
        for name in ("worker-a", "worker-b")
    ]
    try:
        webs = [Gunicorn(env=env, log_dir=log_dir, name=name) for name in ("web-a", "web-b")]
        with ThreadPoolExecutor(4) as pool:  # all four start at once
            for started in [pool.submit(w.start) for w in workers] + [
                pool.submit(web.wait_ready) for web in webs
            ]:
                started.result()
        yield Cluster(webs, workers, smtp, prefix, redis_url)
    finally:
        with ThreadPoolExecutor(4) as pool:  # and stop at once
            list(pool.map(lambda stop: stop(), [p.stop for p in [*webs, *workers]]))
        smtp.stop()
        services.redis_delete_prefix(redis_url, prefix)


def drive(cluster: Cluster, tokens: list[str], tmp_path: Path) -> dict:
    """Every token's member answers once, 16 at a time, through bench/_load.py."""
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"tokens": tokens, "questions": {}}))
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "_load.py"),
            "--mode=flow",
            *(f"--base={web.url}" for web in cluster.webs),
            f"--plan={plan}",
            "--duration=120",  # stops when the tokens are used up
            "--concurrency=16",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.django_db(transaction=True)
def test_members_answer_across_two_servers_and_every_submission_is_stored_once(
    cluster: Cluster, tmp_path: Path
):
    poll_id, tokens, _emails = poll_with_invitations(MEMBERS_ANSWERING, pages=2)
    served_before = [web.requests_served() for web in cluster.webs]

    result = drive(cluster, tokens, tmp_path)

    assert result["errors"] == {}, result["error_examples"]
    assert result["submitted"] == MEMBERS_ANSWERING
    # Both servers did a share of the work: in their own access logs, and the final POSTs.
    served = [
        web.requests_served() - before
        for web, before in zip(cluster.webs, served_before, strict=True)
    ]
    requests = sum(row["n"] for row in result["latency_ms"].values())
    assert sum(served) == requests  # 2 pages: GET, POST, GET, POST per member
    assert all(share >= requests // 3 for share in served), served
    by_server = [result["submitted_by_base"].get(web.url, 0) for web in cluster.webs]
    assert all(count > 0 for count in by_server), by_server
    # Nothing lost, nothing twice: one response per successful submit, each with its answers.
    assert Response.objects.filter(poll_id=poll_id).count() == MEMBERS_ANSWERING
    completed = Invitation.objects.filter(poll_id=poll_id, status=Invitation.Status.COMPLETED)
    assert completed.count() == MEMBERS_ANSWERING
    assert Answer.objects.filter(response__poll_id=poll_id).count() == MEMBERS_ANSWERING * 4
    print(
        f"\n{MEMBERS_ANSWERING} members in {result['elapsed']:.1f} s; requests per server"
        f" {served}, submissions per server {by_server}"
    )


@pytest.mark.django_db(transaction=True)
def test_invitations_go_out_through_both_workers_once_each(cluster: Cluster, settings):
    from config.celery import app
    from polls.tasks import invitations_queue

    settings.INVITATION_BATCH_SIZE = BATCH
    poll_id, _tokens, emails = poll_with_invitations(MEMBERS_INVITED, tokens=False)
    cluster.smtp.clear()
    succeeded_before = [len(SUCCEEDED.findall(worker.log)) for worker in cluster.workers]
    broker = {
        "task_always_eager": False,
        "broker_url": cluster.redis_url,
        "broker_transport_options": {"global_keyprefix": cluster.prefix},
    }
    # The batches are queued when the transaction commits, onto the workers' Redis prefix.
    with services.celery_config(app, **broker), transaction.atomic():
        queued = invitations_queue(poll=Poll.objects.get(pk=poll_id))
    assert queued == MEMBERS_INVITED

    cluster.smtp.wait_for(MEMBERS_INVITED, timeout=60)
    deadline = time.monotonic() + 30
    unsent = Invitation.objects.filter(poll_id=poll_id).exclude(status=Invitation.Status.SENT)
    while unsent.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not unsent.exists(), Counter(unsent.values_list("status", flat=True))
    time.sleep(1)  # an e-mail sent twice would arrive now

    recipients = Counter(to for _sender, tos in cluster.smtp.envelopes for to in tos)
    assert recipients == Counter(emails)  # every member once, nobody else
    links = [
        re.search(r"/s/([\w-]{22})/", m.get_body(("plain",)).get_content())
        for m in cluster.smtp.messages
    ]
    assert all(links) and len({link.group(1) for link in links if link}) == MEMBERS_INVITED
    batches = [
        len(SUCCEEDED.findall(worker.log)) - before
        for worker, before in zip(cluster.workers, succeeded_before, strict=True)
    ]
    assert sum(batches) == MEMBERS_INVITED // BATCH
    assert all(count > 0 for count in batches), batches
    print(f"\n{MEMBERS_INVITED} e-mails, batches per worker {batches}")
