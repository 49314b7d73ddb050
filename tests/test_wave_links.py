"""Linking a poll to its previous wave for trends: by "next wave", or by hand in the studio,
also when the answers' wording or codes changed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from polls.authoring.wave_links import option_predecessors
from polls.authoring.waves import poll_duplicate
from polls.models import OptionLink, Poll
from staff.models import AuditEntry
from tests.factories import PollFactory, question_with_options, staff_user

YES_NO = [("ja", "Ja", "Yes", {}), ("nej", "Nej", "No", {}), ("vet_ej", "Vet ej", "Don't know", {})]


@pytest.fixture
def editor(client, db):
    client.force_login(staff_user("Editor"))
    return client


def two_waves():
    """2025 and 2026 made separately (not by "next wave"): 2026 rewrote its answers."""
    old = PollFactory(slug="klimat-2025", title_sv="Arbetsklimat 2025")
    old_q = question_with_options(old, "single", YES_NO, code="trivs")
    old_other = question_with_options(old, "multiple", YES_NO, code="atgarder")
    new = PollFactory(slug="klimat-2026", title_sv="Arbetsklimat 2026")
    new_q = question_with_options(
        new,
        "single",
        [
            ("instammer", "Instämmer", "Agree", {}),
            ("instammer_inte", "Instämmer inte", "Disagree", {}),
            ("vet_ej", "Vet ej", "Don't know", {}),
        ],
        code="trivs",
    )
    new_text = question_with_options(new, "text", [], code="kommentar")
    return old, old_q, old_other, new, new_q, new_text


def labels(mapping):
    return {k: (v.label_sv if v is not None else None) for k, v in mapping.items()}


def test_next_wave_links_every_question_and_answer_by_code(db):
    poll = PollFactory(slug="klimat-2025")
    question = question_with_options(poll, "single", YES_NO, code="trivs")
    copy = poll_duplicate(poll=poll, slug="klimat-2026")
    new_q = copy.questions.get(code="trivs")
    assert new_q.predecessor == question
    mapping = option_predecessors(new_q)
    pairs = zip(new_q.options.all(), mapping.values(), strict=True)
    assert [(o.code, old.code) for o, old in pairs] == [
        ("ja", "ja"),
        ("nej", "nej"),
        ("vet_ej", "vet_ej"),
    ]
    assert all(old.question == question for old in mapping.values())


def test_an_editor_links_a_poll_to_its_previous_wave_by_hand(editor, db):
    old, old_q, _old_other, new, new_q, new_text = two_waves()
    url = reverse("studio-wave-links", args=[new.slug])

    # Choosing the previous wave shows its questions, the one of the same code preselected.
    page = editor.get(url, {"previous": old.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Arbetsklimat 2025" in html and "Inte sparat än" in html
    assert f'<option value="{old_q.pk}" selected>' in html
    # A free-text question is offered only free-text questions (the old poll has none).
    assert f'name="q-{new_text.pk}"' in html

    response = editor.post(url, {"previous": old.pk, f"q-{new_q.pk}": old_q.pk})
    assert response.status_code == 302
    new.refresh_from_db()
    new_q.refresh_from_db()
    old.refresh_from_db()
    assert new.predecessor == old and new_q.predecessor == old_q
    assert new.series == old.series == "klimat"
    # New codes: the answers are matched by their place until the editor says otherwise.
    assert list(labels(option_predecessors(new_q)).values()) == ["Ja", "Nej", "Vet ej"]
    assert AuditEntry.objects.filter(action="poll.waves_linked", target=new.slug).exists()

    # The editor says "Instämmer inte" continues "Nej", and "Instämmer" is a new answer.
    agree, disagree, dont_know = new_q.options.order_by("order")
    yes, no, old_dont_know = old_q.options.order_by("order")
    page = editor.get(url).content.decode()
    assert f'name="o-{agree.pk}"' in page
    response = editor.post(
        url,
        {
            "previous": old.pk,
            f"q-{new_q.pk}": old_q.pk,
            f"o-{agree.pk}": "",
            f"o-{disagree.pk}": no.pk,
            f"o-{dont_know.pk}": old_dont_know.pk,
        },
    )
    assert response.status_code == 302
    assert labels(option_predecessors(new_q)) == {
        agree.pk: None,
        disagree.pk: "Nej",
        dont_know.pk: "Vet ej",
    }
    # Swapping two answers works too (never two new answers on one old at once).
    response = editor.post(
        url,
        {
            "previous": old.pk,
            f"q-{new_q.pk}": old_q.pk,
            f"o-{agree.pk}": no.pk,
            f"o-{disagree.pk}": yes.pk,
            f"o-{dont_know.pk}": old_dont_know.pk,
        },
    )
    assert response.status_code == 302
    assert list(labels(option_predecessors(new_q)).values()) == ["Nej", "Ja", "Vet ej"]


def test_unlinking_a_question_forgets_its_answers_mapping(editor, db):
    old, old_q, _old_other, new, new_q, _text = two_waves()
    url = reverse("studio-wave-links", args=[new.slug])
    editor.post(url, {"previous": old.pk, f"q-{new_q.pk}": old_q.pk})
    agree = new_q.options.order_by("order").first()
    editor.post(url, {"previous": old.pk, f"q-{new_q.pk}": old_q.pk, f"o-{agree.pk}": ""})
    assert OptionLink.objects.filter(option__question=new_q).exists()
    editor.post(url, {"previous": old.pk, f"q-{new_q.pk}": ""})
    new_q.refresh_from_db()
    assert new_q.predecessor is None
    assert not OptionLink.objects.filter(option__question=new_q).exists()
    # No previous wave at all: the poll is a first wave again.
    editor.post(url, {"previous": ""})
    new.refresh_from_db()
    assert new.predecessor is None


def test_links_that_cannot_be_are_refused_and_change_nothing(editor, db):
    old, old_q, old_other, new, new_q, _text = two_waves()
    url = reverse("studio-wave-links", args=[new.slug])
    editor.post(url, {"previous": old.pk, f"q-{new_q.pk}": old_q.pk})

    # A question of another kind.
    response = editor.post(url, {"previous": old.pk, f"q-{new_q.pk}": old_other.pk})
    assert response.status_code == 400
    assert "av ett annat slag" in response.content.decode()
    # Two new answers continuing one old answer.
    agree, disagree, _dk = new_q.options.order_by("order")
    no = old_q.options.get(code="nej")
    response = editor.post(
        url,
        {
            "previous": old.pk,
            f"q-{new_q.pk}": old_q.pk,
            f"o-{agree.pk}": no.pk,
            f"o-{disagree.pk}": no.pk,
        },
    )
    assert response.status_code == 400
    assert "samma svar" in response.content.decode()
    # An answer of some other question, and a poll that is a later wave of this one.
    response = editor.post(
        url,
        {
            "previous": old.pk,
            f"q-{new_q.pk}": old_q.pk,
            f"o-{agree.pk}": old_other.options.first().pk,
        },
    )
    assert response.status_code == 400
    later = PollFactory(slug="klimat-2027", predecessor=new)
    response = editor.post(url, {"previous": later.pk})
    assert response.status_code == 400
    assert "Välj föregående omgång" in response.content.decode()
    response = editor.post(url, {"previous": "not-a-number"})
    assert response.status_code == 400

    new_q.refresh_from_db()
    assert new_q.predecessor == old_q
    assert not OptionLink.objects.filter(option__question=new_q).exists()
    assert Poll.objects.get(pk=new.pk).predecessor == old


def test_the_studio_poll_page_links_to_the_linking_page(client, editor, db):
    _old, _q, _o, new, _nq, _t = two_waves()
    detail = editor.get(reverse("studio-poll", args=[new.slug])).content.decode()
    assert reverse("studio-wave-links", args=[new.slug]) in detail
    client.force_login(staff_user("Admin"))
    assert client.get(reverse("studio-wave-links", args=[new.slug])).status_code == 200
