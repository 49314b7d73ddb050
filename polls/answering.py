"""A member's way through a poll: from token to anonymous response."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from .models import Answer, Invitation, Option, Poll, Question, Response, hash_token


class AlreadyAnswered(Exception):
    pass


class PollNotOpen(Exception):
    pass


def invitation_by_token(token: str) -> Invitation:
    """The only way a view reaches an invitation: an unknown or forged token is a 404."""
    if not token or len(token) > 64:
        raise Http404("unknown token")
    try:
        return Invitation.objects.select_related("poll", "sample_member__member").get(
            token_hash=hash_token(token)
        )
    except Invitation.DoesNotExist:
        raise Http404("unknown token") from None


@dataclass(frozen=True)
class QuestionForm:
    """What a member sees of a question, in the active language."""

    question: Question
    options: list[Option]


def poll_questions(poll: Poll) -> list[QuestionForm]:
    questions = poll.questions.prefetch_related("options").order_by("order", "id")
    return [QuestionForm(q, list(q.options.all())) for q in questions]


def reporting_attributes(invitation: Invitation) -> dict[str, str]:
    """Only the poll's declared reporting variables travel from the member onto the response."""
    attributes = invitation.sample_member.member.attributes
    return {
        name: attributes[name]
        for name in invitation.poll.reporting_variables
        if attributes.get(name) not in (None, "")
    }


def response_submit(*, invitation: Invitation, choices: dict[int, int]) -> Response:
    """Turn a member's answers into an anonymous response, exactly once per invitation.

    `choices` maps question id to the chosen option id (already validated by the form).
    Marking the invitation completed and writing the response happen in one transaction; the
    conditional update is the lock: of two concurrent submits, the second finds the invitation
    no longer answerable and changes nothing.
    """
    poll = invitation.poll
    if not poll.is_accepting_answers():
        raise PollNotOpen
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, status__in=Invitation.ANSWERABLE
        ).update(status=Invitation.Status.COMPLETED)
        if not claimed:
            raise AlreadyAnswered
        response = Response.objects.create(
            poll=poll,
            submitted_on=timezone.localdate(),
            attributes=reporting_attributes(invitation),
        )
        Answer.objects.bulk_create(
            [
                Answer(response=response, question_id=question_id, option_id=option_id)
                for question_id, option_id in choices.items()
            ]
        )
    return response
