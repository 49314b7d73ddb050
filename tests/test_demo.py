"""`make demo` seeds a poll someone can click through: answers, a fresh member link, codes."""

from django.core.management import call_command

from polls.models import Invitation, Poll, Response


def test_the_demo_has_answers_a_member_link_and_coded_open_answers(db, capsys, client):
    call_command("seed_demo", members=400, sample=120, responses=80)
    out = capsys.readouterr().out
    poll = Poll.objects.get(slug="verklighetsforankring-2026")
    assert Response.objects.filter(poll=poll).count() == 80
    assert Invitation.objects.filter(poll=poll, status="completed").count() == 80
    link = next(line.split()[-1] for line in out.splitlines() if "Member link" in line)
    assert "Socionomernas syn" in client.get(link.split("8000", 1)[1]).content.decode()
    open_question = poll.questions.get(kind="text")
    assert open_question.answer_codes.count() == 5
    assert "redaktor / medlemsrost-redaktor" in out
    assert "/staff/account/two-factor/" in out  # where the logins set up two-factor


def test_seeding_twice_changes_nothing_but_gives_a_new_link(db, capsys):
    call_command("seed_demo", members=300, sample=100, responses=50)
    first = capsys.readouterr().out
    seeded = Response.objects.count()
    call_command("seed_demo", members=300, sample=100, responses=50)
    second = capsys.readouterr().out
    assert Response.objects.count() == seeded
    assert Response.objects.filter(poll__slug="verklighetsforankring-2026").count() == 50
    links = [
        next(line for line in out.splitlines() if "Member link" in line) for out in (first, second)
    ]
    assert links[0] != links[1]


def test_the_demo_has_a_published_result_page_whose_claims_hold(db, capsys, client):
    from results.models import ResultPage
    from results.page_claims import page_claims
    from results.publishing import page_snapshot

    call_command("seed_demo", members=400, sample=120, responses=80)
    out = capsys.readouterr().out
    link = next(line.split()[-1] for line in out.splitlines() if "Result page" in line)
    page = ResultPage.objects.get(slug="socionomernas-syn-2026")
    html = client.get(link.split("8000", 1)[1]).content.decode()
    assert page.title in html
    assert "Om undersökningen" in html and "Statistisk felmarginal" in html
    assert page.lead.split()[0].isdigit()
    assert page_claims(page, page_snapshot(page)) == []


def test_the_demo_has_three_waves_whose_trend_the_dashboard_shows(db, capsys, client):
    from results.trends import poll_trends

    call_command("seed_demo", members=400, sample=120, responses=80)
    poll = Poll.objects.get(slug="verklighetsforankring-2026")
    assert poll.predecessor.slug == "verklighetsforankring-2025"
    assert poll.predecessor.predecessor.slug == "verklighetsforankring-2024"
    trends = {t.question.code: t for t in poll_trends(poll=poll, language="sv")}
    assert [w.label for w in trends["verklighet"].waves] == ["2024", "2025", "2026"]
    assert all(w.n == 80 for w in trends["verklighet"].waves)
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="redaktor"))
    html = client.get(f"/staff/polls/{poll.slug}/trends/").content.decode()
    assert "felmarginalen" in html
