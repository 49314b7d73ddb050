import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from polls.conditions import condition_set
from polls.models import GridRow, Invitation, Option, Poll, Question, Response, Section
from respondents.models import Member, Register, SampleDraw, SampleMember


class RegisterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Register

    name = factory.Sequence(lambda n: f"Register {n}")
    variables = ["region", "sektor"]


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    register = factory.SubFactory(RegisterFactory)
    number = factory.Sequence(lambda n: str(10000 + n))
    email = factory.LazyAttribute(lambda m: f"member{m.number}@example.org")
    attributes = factory.LazyFunction(lambda: {"region": "Skåne", "sektor": "Kommun"})


class SampleDrawFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SampleDraw

    register = factory.SubFactory(RegisterFactory)
    name = factory.Sequence(lambda n: f"Urval {n}")
    target_size = 1
    seed = 1
    frame_size = 1


class SampleMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SampleMember

    draw = factory.SubFactory(SampleDrawFactory)
    member = factory.SubFactory(MemberFactory, register=factory.SelfAttribute("..draw.register"))
    inclusion_probability = 0.1


class PollFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Poll

    slug = factory.Sequence(lambda n: f"poll-{n}")
    title_sv = "Hur verklighetsförankrade är de politiska besluten?"
    title_en = "How well grounded are the political decisions?"
    state = Poll.State.OPEN
    opens_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))
    reporting_variables = ["sektor"]


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    poll = factory.SubFactory(PollFactory)
    order = factory.Sequence(lambda n: n)
    code = factory.Sequence(lambda n: f"q{n}")
    text_sv = "Hur verklighetsförankrade anser du att de politiska besluten är?"
    text_en = "How well grounded do you think the political decisions are?"


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    question = factory.SubFactory(QuestionFactory)
    order = factory.Sequence(lambda n: n)
    code = factory.Sequence(lambda n: f"o{n}")
    label_sv = factory.Sequence(lambda n: f"Svar {n}")
    label_en = factory.Sequence(lambda n: f"Answer {n}")


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    poll = factory.SubFactory(PollFactory)
    order = factory.Sequence(lambda n: n)
    title_sv = factory.Sequence(lambda n: f"Del {n}")
    title_en = factory.Sequence(lambda n: f"Part {n}")


class GridRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridRow

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.GRID)
    order = factory.Sequence(lambda n: n)
    code = factory.Sequence(lambda n: f"r{n}")
    text_sv = factory.Sequence(lambda n: f"Påstående {n}")
    text_en = factory.Sequence(lambda n: f"Statement {n}")


def question_with_options(poll, kind, options, *, rows=(), **fields):
    """A question of `kind` with options given as labels or (code, label_sv, label_en, flags)
    tuples, where flags is a dict of Option fields (exclusive, anchored, is_dont_know)."""
    question = QuestionFactory(poll=poll, kind=kind, **fields)
    for i, spec in enumerate(options):
        if isinstance(spec, str):
            spec = (f"o{i}", spec, spec, {})
        code, sv, en, *flags = spec
        flags = flags[0] if flags else {}
        OptionFactory(question=question, order=i, code=code, label_sv=sv, label_en=en, **flags)
    for i, (sv, en) in enumerate(rows):
        GridRowFactory(question=question, order=i, code=f"r{i}", text_sv=sv, text_en=en)
    return question


def every_kind_poll(**poll_fields):
    """Three pages with every question kind, a follow-up on the same page as its condition,
    an exclusive "Vet ej", anchored options in random order, a scale, a number, a ranking
    and a grid: the member's whole repertoire."""
    poll = PollFactory(**poll_fields)
    work, environment, priorities = (
        SectionFactory(poll=poll, order=i, title_sv=sv, title_en=en)
        for i, (sv, en) in enumerate(
            [
                ("Ditt arbete", "Your work"),
                ("Arbetsmiljö", "Working environment"),
                ("Prioriteringar", "Priorities"),
            ],
            start=1,
        )
    )
    dont_know = ("vet_ej", "Vet ej", "Don't know", {"is_dont_know": True})
    can = question_with_options(
        poll,
        Question.Kind.SINGLE,
        [("ja", "Ja", "Yes"), ("nej", "Nej", "No"), dont_know],
        section=work,
        order=1,
        code="kan_utfora",
        text_sv="Kan du utföra ditt arbete med den kvalitet du anser nödvändig?",
        text_en="Can you do your work with the quality you consider necessary?",
    )
    follow_up = QuestionFactory(
        poll=poll,
        section=work,
        order=2,
        code="vad_kravs",
        kind=Question.Kind.TEXT,
        text_max_length=200,
        text_sv="Vad krävs för att du ska kunna utföra ditt arbete med den kvalitet du anser "
        "nödvändig?",
        text_en="What would it take for you to do your work with the quality you consider "
        "necessary?",
    )
    condition_set(question=follow_up, on=can, codes=["nej"])
    question_with_options(
        poll,
        Question.Kind.MULTIPLE,
        [
            ("tid", "Mer tid för klientarbete", "More time for work with clients"),
            ("resurser", "Mer resurser", "More resources"),
            ("administration", "Minskad administration", "Less administration"),
            ("introduktion", "Bättre introduktion för nyanställda", "Better induction"),
            ("annat", "Annat", "Other", {"anchored": True}),
            ("vet_ej", "Vet ej", "Don't know", {"exclusive": True, "anchored": True}),
        ],
        section=work,
        order=3,
        code="atgarder",
        randomize_options=True,
        text_sv="Vilka åtgärder är viktigast för kvaliteten i det sociala arbetet?",
        text_en="Which measures matter most for the quality of social work?",
    )
    question_with_options(
        poll,
        Question.Kind.SCALE,
        [dont_know],
        section=environment,
        order=1,
        code="nojd",
        scale_min=1,
        scale_max=5,
        label_low_sv="Mycket missnöjd",
        label_low_en="Very dissatisfied",
        label_high_sv="Mycket nöjd",
        label_high_en="Very satisfied",
        text_sv="Hur nöjd är du med din arbetsmiljö?",
        text_en="How satisfied are you with your working environment?",
    )
    QuestionFactory(
        poll=poll,
        section=environment,
        order=2,
        code="arenden",
        kind=Question.Kind.NUMBER,
        number_min=0,
        number_max=200,
        text_sv="Hur många ärenden har du ansvar för just nu?",
        text_en="How many cases are you responsible for right now?",
    )
    question_with_options(
        poll,
        Question.Kind.RANKING,
        [
            ("lon", "Lön", "Pay"),
            ("arbetsmiljo", "Arbetsmiljö", "Working environment"),
            ("arbetstid", "Arbetstid", "Working hours"),
            ("kompetens", "Kompetensutveckling", "Professional development"),
        ],
        section=priorities,
        order=1,
        code="prioritet",
        max_choices=3,
        text_sv="Vilka frågor är viktigast för förbundet att driva? Välj de tre viktigaste.",
        text_en="Which issues matter most for the union? Choose the three most important.",
    )
    question_with_options(
        poll,
        Question.Kind.GRID,
        [
            ("helt", "Stämmer helt", "Entirely true"),
            ("delvis", "Stämmer delvis", "Partly true"),
            ("inte", "Stämmer inte", "Not true"),
            dont_know,
        ],
        rows=[
            ("Jag har en rimlig arbetsbelastning", "My workload is reasonable"),
            ("Jag får stöd av min chef", "My manager supports me"),
        ],
        section=priorities,
        order=2,
        code="pastaenden",
        text_sv="Hur väl stämmer påståendena in på din arbetsplats?",
        text_en="How well do the statements describe your workplace?",
    )
    return poll


def single_choice_question(poll, labels=("Mycket", "Ganska", "Inte så", "Inte alls", "Vet ej")):
    question = QuestionFactory(poll=poll)
    for i, label in enumerate(labels):
        OptionFactory(question=question, order=i, code=f"o{i}", label_sv=label, label_en=label)
    return question


def invitation_with_token(poll, **member_attrs) -> tuple[Invitation, str]:
    """An invitation as if its e-mail had just gone out, with the token from that e-mail."""
    register = poll.register or RegisterFactory()
    if poll.register is None:
        poll.register = register
        poll.save(update_fields=["register"])
    sample_member = SampleMemberFactory(
        draw__register=register, member=MemberFactory(register=register, **member_attrs)
    )
    invitation = Invitation(poll=poll, sample_member=sample_member, status=Invitation.Status.SENT)
    token = invitation.issue_token()
    invitation.save()
    return invitation, token


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("secret-pass-123")


def staff_user(group: str, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group))
    user.save()
    return user


class ResponseFactory(factory.django.DjangoModelFactory):
    """A submitted response without answers: enough to lock a poll's structure."""

    class Meta:
        model = Response

    poll = factory.SubFactory(PollFactory)
    submitted_on = factory.LazyFunction(timezone.localdate)


def open_link_poll_with_pages(**poll_fields):
    """An open-link poll (no register, no reporting variables): page "Del 1" asks Ja / Nej,
    page "Del 2" asks Mycket / Lite."""
    fields = {"open_link": True, "register": None, "reporting_variables": [], **poll_fields}
    poll = PollFactory(**fields)
    for i, labels in enumerate([("Ja", "Nej"), ("Mycket", "Lite")]):
        section = SectionFactory(
            poll=poll, order=i, title_sv=f"Del {i + 1}", title_en=f"Part {i + 1}"
        )
        question_with_options(
            poll,
            Question.Kind.SINGLE,
            labels,
            section=section,
            text_sv=f"Fråga {i + 1}?",
            text_en=f"Question {i + 1}?",
        )
    return poll


def force_login_verified(client, user):
    """`client.force_login(user)` with the second login step passed, as after a right code: the
    session is verified by the user's confirmed TOTP device (made if they have none)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Medlemsröst", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
