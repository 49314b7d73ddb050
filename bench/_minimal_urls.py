"""The minimal-view ceiling of bench/answering.py: one POST does what a submission writes, with
raw SQL in one transaction, and nothing else (no middleware, forms, templates or checks).

The same statements as `polls.answering.response_submit` without the ORM: the invitation by
its token hash (with the member's attributes), the invitation marked completed, the draft
deleted, the response and its answers (one multi-row INSERT). Unlike the product it does not
care whether the invitation was already completed, so the benchmark can reuse a pool of
invitations. Never used by the product."""

import json
import uuid

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseNotFound
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from polls.models import hash_token


@csrf_exempt
def submit(request, token: str) -> HttpResponse:
    answers = [
        (int(name[1:]), int(value))
        for name, value in request.POST.items()
        if name.startswith("q") and name[1:].isdigit()
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.id, i.poll_id, m.attributes FROM polls_invitation i"
            " JOIN respondents_samplemember s ON s.id = i.sample_member_id"
            " JOIN respondents_member m ON m.id = s.member_id WHERE i.token_hash = %s",
            [hash_token(token)],
        )
        row = cursor.fetchone()
        if row is None:
            return HttpResponseNotFound("unknown token")
        invitation_id, poll_id, attributes = row
        attributes = json.loads(attributes) if isinstance(attributes, str) else attributes
        cursor.execute(
            "UPDATE polls_invitation SET status = 'completed' WHERE id = %s", [invitation_id]
        )
        cursor.execute("DELETE FROM polls_draft WHERE invitation_id = %s", [invitation_id])
        response_id = uuid.uuid4()
        cursor.execute(
            "INSERT INTO polls_response (id, poll_id, submitted_on, attributes)"
            " VALUES (%s, %s, CURRENT_DATE, %s)",
            [response_id, poll_id, json.dumps({"sektor": attributes.get("sektor", "")})],
        )
        if answers:
            cursor.execute(
                "INSERT INTO polls_answer (response_id, question_id, option_id) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(answers)),
                [value for qid, oid in answers for value in (response_id, qid, oid)],
            )
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("min/<str:token>/", submit)]
