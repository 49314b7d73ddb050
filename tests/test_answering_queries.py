"""The member's pages make a bounded number of queries, whatever the size of the poll: the same
bound for a page of 20 questions as for one of 60 (issue 14)."""

import pytest
from django.urls import reverse

from polls.answering.questionnaires import forget_questionnaires
from polls.models import Draft, Invitation, Question, Response
from tests.factories import (
    OptionFactory,
    PollFactory,
    QuestionFactory,
    SectionFactory,
    invitation_with_token,
)

pytestmark = pytest.mark.django_db

# GET: the invitation (with its poll, draft and the questionnaire's version, and on PostgreSQL
# marked started in the same statement): 1-3. POST Next: the invitation, the draft, the
# invitation locked and the draft's upsert: 4. POST submit: the invitation, the draft, the claim,
# the draft deleted, the response and its answers (one insert each): 6. A test runs in a
# transaction, so each atomic block adds a SAVEPOINT and its RELEASE: 8.
MAX_QUERIES = 8


def big_poll(questions: int):
    """`questions` questions of the kinds that make rows (single, multiple, text, grid) on a
    first page, and one more on a second page, so that the first page's POST is a Next."""
    poll = PollFactory()
    first, second = SectionFactory(poll=poll, order=1), SectionFactory(poll=poll, order=2)
    kinds = [Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TEXT]
    for i in range(questions):
        kind = kinds[i % len(kinds)]
        question = QuestionFactory(poll=poll, section=first, order=i, kind=kind, code=f"q{i}")
        if kind != Question.Kind.TEXT:
            for o in range(5):
                OptionFactory(question=question, order=o, code=f"o{o}")
    last = QuestionFactory(poll=poll, section=second, order=1, kind=Question.Kind.SINGLE)
    for o in range(3):
        OptionFactory(question=last, order=o, code=f"o{o}")
    return poll


def first_page_answers(poll) -> dict:
    data: dict = {"page": "0", "action": "next"}
    for question in poll.questions.filter(section__order=1).prefetch_related("options"):
        if question.kind == Question.Kind.TEXT:
            data[f"q{question.pk}"] = "Mer tid för klienterna"
        else:
            data[f"q{question.pk}"] = str(question.options.all()[0].pk)
    return data


@pytest.mark.parametrize("questions", [20, 60])
def test_a_page_makes_the_same_few_queries_whatever_the_polls_size(
    needs_postgres, client, questions, django_assert_max_num_queries
):
    # PostgreSQL computes the questionnaire's stamp; elsewhere it is rebuilt on every request.
    poll = big_poll(questions)
    invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    answers = first_page_answers(poll)
    forget_questionnaires()
    client.get(url)  # the questionnaire is loaded once per process and poll version

    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.post(url, answers).status_code == 302
    assert Draft.objects.get(invitation=invitation).current_section == 1
    with django_assert_max_num_queries(MAX_QUERIES):
        assert client.get(url).status_code == 200
    last = poll.questions.get(section__order=2)
    submit_data = {"page": "1", "action": "next", f"q{last.pk}": last.options.all()[0].pk}
    with django_assert_max_num_queries(MAX_QUERIES):
        submit = client.post(url, submit_data)
    assert submit.status_code == 200
    assert Response.objects.get().answers.count() == questions + 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.COMPLETED
    assert not Draft.objects.exists()


@pytest.mark.usefixtures("needs_postgres")
def test_an_edit_anywhere_in_the_questionnaire_reaches_the_next_page_at_once(client):
    """The questionnaire is cached per process and poll version: a text edit (the studio's on a
    locked poll, or Django admin's, in any process) or a new question changes the version."""
    poll = big_poll(3)
    _invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    forget_questionnaires()
    assert "Svar ändrat" not in client.get(url).content.decode()

    option = poll.questions.get(code="q0").options.get(code="o1")
    option.label_sv = "Svar ändrat"
    option.save()
    assert "Svar ändrat" in client.get(url).content.decode()

    QuestionFactory(
        poll=poll,
        section=poll.sections.get(order=1),
        order=99,
        kind=Question.Kind.TEXT,
        text_sv="En fråga till",
    )
    assert "En fråga till" in client.get(url).content.decode()
    poll.questions.get(text_sv="En fråga till").delete()
    assert "En fråga till" not in client.get(url).content.decode()


@pytest.mark.usefixtures("needs_postgres")
def test_edits_by_sql_or_in_bulk_reach_the_next_page_too(client):
    """The version is kept by the database's triggers, so writers that skip the ORM's save()
    (a bulk update, a statement typed in psql) cannot leave members with a stale page."""
    from django.db import connection

    from polls.models import GridRow, Option

    poll = big_poll(3)
    _invitation, token = invitation_with_token(poll)
    url = reverse("answer", args=[token])
    forget_questionnaires()
    client.get(url)

    Option.objects.filter(question__poll=poll, code="o2").update(label_sv="Massvis ändrat")
    assert "Massvis ändrat" in client.get(url).content.decode()

    question = poll.questions.get(code="q1")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE polls_question SET text_sv = %s WHERE id = %s", ["Ändrad i psql", question.pk]
        )
    assert "Ändrad i psql" in client.get(url).content.decode()

    grid = QuestionFactory(
        poll=poll, section=poll.sections.get(order=1), order=50, kind=Question.Kind.GRID
    )
    OptionFactory(question=grid, order=0, code="a")
    GridRow.objects.create(question=grid, order=0, code="r1", text_sv="Påstående ett")
    assert "Påstående ett" in client.get(url).content.decode()
    GridRow.objects.filter(question=grid).update(text_sv="Påstående ändrat")
    assert "Påstående ändrat" in client.get(url).content.decode()


def test_postgresql_plans_the_members_lookup_once_per_connection(needs_postgres, client):
    """The invitation's lookup is a prepared statement after its first runs on a connection
    (polls/answering/statements.py): PostgreSQL no longer plans it on every request. The ORM's
    own statements are never prepared."""
    from django.db import connection

    poll = big_poll(5)
    for _ in range(3):
        _invitation, token = invitation_with_token(poll)
        assert client.get(reverse("answer", args=[token])).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "polls_invitation"' in sql and "token_hash" in sql for sql in prepared)
    assert not any("polls_question" in sql for sql in prepared)


def _generic_plan_rows(sql: str, params, table: str) -> int:
    """The rows of `table` that PostgreSQL reads for `sql` run as a prepared statement on its
    generic plan (as the member's statements run after a few requests on a connection: see
    polls/answering/statements.py): rows returned by its scans plus rows they filtered out.
    The statement runs inside a savepoint that is rolled back."""
    import json
    import re

    from django.db import connection, transaction

    names: list = []

    def number(match: re.Match) -> str:
        names.append(match.group(1))
        return f"${len(names)}"

    if isinstance(params, dict):
        text = re.sub(r"%\((\w+)\)s", number, sql)
        values = [params[name] for name in names]
    else:
        text = re.sub(r"%s()", number, sql)
        values = list(params)
    placeholders = ", ".join(["%s"] * len(values))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE member_statement AS {text}")
        try:
            cursor.execute(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE member_statement({placeholders})", values
            )
            plan = cursor.fetchone()[0]
        finally:
            cursor.execute("DEALLOCATE member_statement")
        transaction.set_rollback(True)
    plan = plan if isinstance(plan, list) else json.loads(plan)

    def walk(node: dict) -> int:
        rows = 0
        if node.get("Relation Name") == table:
            loops = node.get("Actual Loops", 1)
            rows += loops * (
                node.get("Actual Rows", 0)
                + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)
            )
        return rows + sum(walk(child) for child in node.get("Plans", []))

    return walk(plan[0]["Plan"])


@pytest.mark.parametrize("analyzed", [False, True], ids=["no statistics yet", "analyzed"])
def test_the_members_statements_read_a_few_rows_however_many_members_the_poll_has(
    needs_postgres, client, analyzed
):
    """Prepared, the member's statements run on PostgreSQL's generic plan, which knows no token:
    each must still find the member's invitation by its keys and not walk the poll's others
    (the link's opening had read every sent invitation of the poll for its token)."""
    from django.db import connection

    from respondents.models import Member, SampleMember

    poll = big_poll(2)
    invitation, token = invitation_with_token(poll)
    draw = invitation.sample_member.draw
    # Many other members of the poll with sent invitations, with statistics on them as
    # PostgreSQL keeps them for a poll in the field, or none yet (a new poll's invitations).
    members = Member.objects.bulk_create(
        Member(register=poll.register, number=f"9{i:06d}", email=f"m{i}@example.org")
        for i in range(2000)
    )
    sampled = SampleMember.objects.bulk_create(
        SampleMember(draw=draw, member=member, inclusion_probability=0.5) for member in members
    )
    statuses = [Invitation.Status.SENT, Invitation.Status.STARTED, Invitation.Status.COMPLETED]
    other_poll = PollFactory(register=poll.register)
    Invitation.objects.bulk_create(
        Invitation(
            poll=(poll, other_poll)[i % 2],
            sample_member=s,
            status=statuses[i % 3],
            token_hash=f"{i:064x}",
        )
        for i, s in enumerate(sampled)
    )
    if analyzed:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE polls_invitation, respondents_samplemember, respondents_member")
    url = reverse("answer", args=[token])
    statements: list = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        assert client.get(url).status_code == 200
        assert client.post(url, first_page_answers(poll)).status_code == 302
        last = poll.questions.get(section__order=2)
        submit = {"page": "1", "action": "next", f"q{last.pk}": last.options.all()[0].pk}
        assert client.post(url, submit).status_code == 200
    assert Response.objects.filter(poll=poll).count() == 1
    member_statements = [(s, p) for s, p in statements if '"polls_invitation"' in s]
    # opening (marks started); Next's lookup and draft; the submit's lookup and claim
    assert len(member_statements) >= 5
    for sql, params in member_statements:
        assert _generic_plan_rows(sql, params, "polls_invitation") <= 3, sql[:200]
