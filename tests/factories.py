import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from polls.models import Invitation, Option, Poll, Question
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
