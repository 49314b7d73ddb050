"""The demo: a register of fictional social workers, the seeds' poll, a sample, invitations and
simulated answers, all made through the same services that real use goes through."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from respondents.draws import sample_draw
from respondents.importing import register_import
from respondents.models import Register, SampleDraw

from .answering.responses import AnswerRow, poll_questions, response_submit
from .conditions import condition_set
from .fieldwork.sending import answer_url, invitations_create
from .models import Invitation, Option, Poll, Question, Section

REGISTER_NAME = "Socionomer 2026"
SAMPLE_NAME = "Urval sept"
POLL_SLUG = "verklighetsforankring-2026"
SERIES = "verklighetsforankring"
# The earlier waves of the series (for trends): their single-choice answers' weights, where they
# differ from QUESTIONS' (the 2026 wave's).
EARLIER_WAVES: dict[int, dict[str, list[int]]] = {
    2024: {"verklighet": [12, 40, 30, 11, 7], "kan_utfora": [52, 41, 7]},
    2025: {"verklighet": [9, 36, 35, 13, 7], "kan_utfora": [46, 47, 7]},
}
STAFF = [
    # username, password, group, superuser
    ("admin", "medlemsrost-admin", "Admin", True),
    ("redaktor", "medlemsrost-redaktor", "Editor", False),
]

REGIONS = ["Stockholm", "Västra Götaland", "Skåne", "Östergötland", "Norrbotten", "Kronoberg"]
REGION_WEIGHTS = [30, 20, 16, 8, 6, 5]
SECTORS = ["Kommun", "Region", "Stat", "Privat"]
SECTOR_WEIGHTS = [62, 14, 10, 14]
FIRST = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Sara",
    "Ahmed",
    "Elin",
    "Mikael",
    "Fatima",
    "Emma",
    "Oskar",
    "Leila",
    "Sofia",
    "Nils",
    "Ida",
    "Ali",
    "Hanna",
    "Per",
]
LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Lindberg",
    "Hassan",
    "Ramsing",
]

SECTIONS = [
    ("Politiska beslut", "Political decisions"),
    ("Kvaliteten i arbetet", "The quality of the work"),
]

QUESTIONS: list[dict[str, Any]] = [
    {
        "section": 0,
        "code": "verklighet",
        "text_sv": "Hur verklighetsförankrade anser du att de politiska besluten för "
        "socialtjänsten är i den kommun där du är anställd?",
        "text_en": "How well grounded in reality do you think the political decisions on social "
        "services are in the municipality where you work?",
        "options": [
            ("mycket", "Mycket verklighetsförankrade", "Very well grounded"),
            ("ganska", "Ganska verklighetsförankrade", "Fairly well grounded"),
            ("inte_sa", "Inte så verklighetsförankrade", "Not very well grounded"),
            ("inte_alls", "Inte alls verklighetsförankrade", "Not at all grounded"),
            ("vet_ej", "Vet ej", "Don't know"),
        ],
        # Shares roughly as in the 2017 poll: 57 % "not very" or "not at all".
        "weights": [6, 30, 40, 17, 7],
    },
    {
        "section": 0,
        "code": "kvalitet",
        "text_sv": "Anser du att kvaliteten på socialtjänstens arbete försämras i kommuner med "
        "stora underskott i sin ekonomi?",
        "text_en": "Do you think the quality of social services deteriorates in municipalities "
        "with large budget deficits?",
        "options": [
            ("ja", "Ja", "Yes"),
            ("nej", "Nej", "No"),
            ("vet_ej", "Vet ej", "Don't know"),
        ],
        "weights": [89, 6, 5],
    },
    {
        "section": 1,
        "code": "kan_utfora",
        "text_sv": "Kan du utföra ditt arbete med den kvalitet du anser nödvändig?",
        "text_en": "Can you do your work with the quality you consider necessary?",
        "options": [
            ("ja", "Ja", "Yes"),
            ("nej", "Nej", "No"),
            ("vet_ej", "Vet ej", "Don't know"),
        ],
        "weights": [38, 55, 7],
    },
    {
        "section": 1,
        "code": "vad_kravs",
        "kind": Question.Kind.TEXT,
        "required": False,
        "text_sv": "Vad krävs för att du ska kunna utföra ditt arbete med den kvalitet du anser "
        "nödvändig?",
        "text_en": "What would it take for you to do your work with the quality you consider "
        "necessary?",
        "condition": ("kan_utfora", ["nej"]),
        "answers": [
            "Färre ärenden per handläggare.",
            "Mer tid för möten med klienterna och mindre dokumentation.",
            "Stabil bemanning och en chef som finns på plats.",
            "Handledning och tid för kompetensutveckling.",
            "Fler kollegor så att arbetsbelastningen blir rimlig.",
            "Mindre administration och ett IT-stöd som fungerar.",
            "Mer tid för varje klient, färre ärenden.",
            "Tid för reflektion och handledning i gruppen.",
        ],
        "answered": 0.4,
    },
    {
        "section": 1,
        "code": "atgarder",
        "kind": Question.Kind.MULTIPLE,
        "randomize": True,
        "text_sv": "Vilka åtgärder är viktigast för kvaliteten i det sociala arbetet?",
        "text_en": "Which measures matter most for the quality of social work?",
        "options": [
            ("tid", "Mer tid för klientarbete", "More time for work with clients"),
            ("resurser", "Mer resurser", "More resources"),
            ("administration", "Minskad administration", "Less administration"),
            (
                "introduktion",
                "Bättre introduktion för nyanställda",
                "Better induction for new staff",
            ),
            ("annat", "Annat", "Other"),
            ("vet_ej", "Vet ej", "Don't know"),
        ],
        # Chance that each substantive option is chosen; "Vet ej" alone otherwise.
        "weights": [0.62, 0.48, 0.55, 0.3, 0.06],
    },
]


@dataclass(frozen=True)
class DemoInfo:
    poll: Poll
    member_link: str
    responses: int


def demo_register_csv(size: int, seed: int = 2026) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Medlemsnummer", "E-post", "region", "sektor"])
    for i in range(size):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        writer.writerow(
            [
                str(100001 + i),
                f"{first}.{last}.{i}@example.org".lower(),
                rng.choices(REGIONS, REGION_WEIGHTS)[0],
                rng.choices(SECTORS, SECTOR_WEIGHTS)[0],
            ]
        )
    return out.getvalue().encode("utf-8")


def demo_poll(register: Register, year: int = 2026, predecessor: Poll | None = None) -> Poll:
    now = timezone.now()
    poll = Poll.objects.create(
        slug=POLL_SLUG.replace("2026", str(year)),
        title_sv=f"Socionomernas syn på politiska beslut i socialtjänsten {year}",
        title_en=f"Social workers on political decisions in social services {year}",
        series=SERIES,
        predecessor=predecessor,
        intro_sv="Akademikerförbundet SSR vill veta hur du som socionom ser på de politiska "
        "besluten i din kommun och på kvaliteten i ditt arbete. Det tar tre minuter.",
        intro_en="Akademikerförbundet SSR wants to know how you as a social worker view the "
        "political decisions in your municipality and the quality of your work. It takes three "
        "minutes.",
        state=Poll.State.OPEN,
        opens_at=now - timedelta(days=7),
        closes_at=now + timedelta(days=14),
        register=register,
        reporting_variables=["region", "sektor"],
    )
    sections = [
        Section.objects.create(poll=poll, order=order, title_sv=sv, title_en=en)
        for order, (sv, en) in enumerate(SECTIONS, start=1)
    ]
    questions = {}
    for order, spec in enumerate(QUESTIONS, start=1):
        question = Question.objects.create(
            poll=poll,
            section=sections[spec["section"]],
            order=order,
            code=spec["code"],
            kind=spec.get("kind", Question.Kind.SINGLE),
            required=spec.get("required", True),
            randomize_options=spec.get("randomize", False),
            text_sv=spec["text_sv"],
            text_en=spec["text_en"],
            predecessor=predecessor.questions.filter(code=spec["code"]).first()
            if predecessor is not None
            else None,
        )
        questions[question.code] = question
        Option.objects.bulk_create(
            Option(
                question=question,
                order=i,
                code=code,
                label_sv=sv,
                label_en=en,
                is_dont_know=code == "vet_ej",
                # Multiple choice: "Vet ej" excludes the rest; "Annat" and "Vet ej" stay last.
                exclusive=code == "vet_ej" and question.kind == Question.Kind.MULTIPLE,
                anchored=code in ("annat", "vet_ej"),
            )
            for i, (code, sv, en) in enumerate(spec.get("options", []), start=1)
        )
        if "condition" in spec:
            source, codes = spec["condition"]
            condition_set(question=question, on=questions[source], codes=codes)
    return poll


def staff_users() -> None:
    User = get_user_model()
    for username, password, group, superuser in STAFF:
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": superuser}
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=group))


def simulate_answers(
    poll: Poll,
    invitations: list[Invitation],
    seed: int = 7,
    wave_weights: dict[str, list[int]] | None = None,
) -> int:
    """Plausible answers through the real service; the follow-up text only after "Nej".
    `wave_weights`: a wave's own weights of single-choice answers, by question code."""
    rng = random.Random(seed)
    weights_of = wave_weights or {}
    questions = poll_questions(poll)
    specs = {spec["code"]: spec for spec in QUESTIONS}
    for invitation in invitations:
        answers: list[AnswerRow] = []
        chosen: dict[str, str] = {}
        for question in questions:
            spec = specs[question.code]
            options = list(question.options.all())
            if question.kind == Question.Kind.SINGLE:
                weights = list(weights_of.get(question.code, spec["weights"]))
                if (
                    question.code == "verklighet"
                    and invitation.sample_member.member.attributes.get("sektor") == "Privat"
                ):
                    weights = weights[::-1]
                option = rng.choices(options, weights)[0]
                chosen[question.code] = option.code
                answers.append(AnswerRow(question.pk, option_id=option.pk))
            elif question.kind == Question.Kind.TEXT:
                source, codes = spec["condition"]
                if chosen.get(source) in codes and rng.random() < spec["answered"]:
                    answers.append(AnswerRow(question.pk, text=rng.choice(spec["answers"])))
            elif question.kind == Question.Kind.MULTIPLE:
                picked = [
                    option
                    for option, chance in zip(options, spec["weights"], strict=False)
                    if rng.random() < chance
                ]
                if not picked:
                    picked = [option for option in options if option.exclusive]
                answers.extend(AnswerRow(question.pk, option_id=o.pk) for o in picked)
        response_submit(invitation=invitation, answers=answers, questions=questions)
    return len(invitations)


def fresh_member_link(poll: Poll) -> str:
    """A new token for one invitation nobody has used: the demo's printed member link."""
    invitation = (
        Invitation.objects.filter(poll=poll, status=Invitation.Status.SENT).order_by("id").first()
    )
    if invitation is None:
        return ""
    token = invitation.issue_token()
    invitation.save(update_fields=["token_hash"])
    return answer_url(token)


def _invitations_sent(poll: Poll, draw: SampleDraw) -> None:
    invitations_create(poll=poll, draw=draw)
    # The demo marks the invitations as sent instead of e-mailing 1,000 fictional people.
    for invitation in Invitation.objects.filter(poll=poll):
        invitation.issue_token()
        invitation.status = Invitation.Status.SENT
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["token_hash", "status", "sent_at"])


def earlier_waves(register: Register, *, sample: int, responses: int) -> Poll | None:
    """The series' waves before 2026, answered and closed, each question linked to the one
    before (as "next wave" links them); returns the last of them."""
    previous = None
    for year, weights in EARLIER_WAVES.items():
        with transaction.atomic():
            draw = sample_draw(register=register, name=f"Urval sept {year}", size=sample, seed=year)
            poll = demo_poll(register, year=year, predecessor=previous)
            _invitations_sent(poll, draw)
        answering = list(
            Invitation.objects.filter(poll=poll)
            .select_related("poll", "sample_member__member")
            .order_by("?")[:responses]
        )
        simulate_answers(poll, answering, seed=year, wave_weights=weights)
        ago = timezone.now().replace(year=year, month=9, day=1)
        Poll.objects.filter(pk=poll.pk).update(
            state=Poll.State.CLOSED, opens_at=ago, closes_at=ago + timedelta(days=14)
        )
        previous = poll
    return previous


def seed_demo(*, members: int = 5000, sample: int = 1000, responses: int = 600) -> DemoInfo:
    staff_users()
    poll = Poll.objects.filter(slug=POLL_SLUG).first()
    if poll is None:
        register_import(name=REGISTER_NAME, data=demo_register_csv(members))
        register = Register.objects.get(name=REGISTER_NAME)
        previous = earlier_waves(register, sample=sample, responses=responses)
        with transaction.atomic():
            draw = sample_draw(register=register, name=SAMPLE_NAME, size=sample, seed=42)
            poll = demo_poll(register, predecessor=previous)
            _invitations_sent(poll, draw)
        answering = list(
            Invitation.objects.filter(poll=poll)
            .select_related("poll", "sample_member__member")
            .order_by("?")[:responses]
        )
        simulate_answers(poll, answering)
    assert SampleDraw.objects.filter(name=SAMPLE_NAME).exists()
    return DemoInfo(
        poll=poll, member_link=fresh_member_link(poll), responses=poll.responses.count()
    )
