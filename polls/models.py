"""Questionnaires, invitations and the anonymous responses they lead to.

The invitation knows who; the response knows what; nothing joins them.
"""

import hashlib
import secrets
import uuid

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from respondents.models import Register, SampleMember


class Translated:
    """Pick the `<field>_en` variant when the active language is English and it is filled in."""

    def tr(self, field: str) -> str:
        if translation.get_language() == "en":
            english = getattr(self, f"{field}_en", "")
            if english:
                return english
        return getattr(self, f"{field}_sv")


class Poll(Translated, models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        ARCHIVED = "archived", _("archived")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    intro_sv = models.TextField(_("introduction (Swedish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    organisation = models.CharField(_("union"), max_length=200, default="Akademikerförbundet SSR")
    contact_email = models.EmailField(_("contact e-mail"), default="undersokning@example.org")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    register = models.ForeignKey(
        Register,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="polls",
        help_text=_("The population: the register the sample is drawn from."),
    )
    reporting_variables = models.JSONField(
        _("reporting variables"),
        default=list,
        blank=True,
        help_text=_("Register variables copied onto each response for breakdowns, e.g. sector."),
    )
    min_cell_size = models.PositiveSmallIntegerField(
        _("smallest group shown"),
        default=5,
        help_text=_("Groups with fewer respondents are suppressed in every breakdown."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title_sv

    @property
    def title(self) -> str:
        return self.tr("title")

    @property
    def intro(self) -> str:
        return self.tr("intro")

    def is_accepting_answers(self, now=None) -> bool:
        now = now or timezone.now()
        if self.state != self.State.OPEN:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)


class Question(Translated, models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    text_sv = models.TextField(_("question (Swedish)"))
    text_en = models.TextField(_("question (English)"), blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["poll", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "code"], name="question_code_unique"),
        ]

    def __str__(self) -> str:
        return self.text_sv

    @property
    def text(self) -> str:
        return self.tr("text")


class Option(Translated, models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveIntegerField(_("order"), default=0)
    code = models.CharField(_("code"), max_length=50)
    label_sv = models.CharField(_("label (Swedish)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300, blank=True)
    is_dont_know = models.BooleanField(
        _("“don't know”"), default=False, help_text=_("E.g. “Vet ej”.")
    )

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="option_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label_sv

    @property
    def label(self) -> str:
        return self.tr("label")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A sampled member's personal key to one poll. The token itself exists only in the e-mail;
    we keep its SHA-256. No completion time is stored, so nothing orders invitations against
    responses."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        BOUNCED = "bounced", _("bounced")
        STARTED = "started", _("started")
        COMPLETED = "completed", _("completed")
        OPTED_OUT = "opted_out", _("opted out")

    ANSWERABLE = (Status.SENT, Status.STARTED)

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="invitations")
    sample_member = models.ForeignKey(
        SampleMember, on_delete=models.PROTECT, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "sample_member"], name="one_invitation_per_member_and_poll"
            ),
        ]
        indexes = [models.Index(fields=["poll", "status"])]

    def __str__(self) -> str:
        return f"{self.poll.slug}: {self.get_status_display()}"

    def issue_token(self) -> str:
        """A fresh 128-bit token; only its hash is stored. The caller must save."""
        token = secrets.token_urlsafe(16)
        self.token_hash = hash_token(token)
        return token


class Response(models.Model):
    """One member's submitted answers. Deliberately without any link to Member or Invitation,
    with the submission date only (no time), and a random primary key so row order says nothing
    about who answered when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="responses")
    submitted_on = models.DateField(_("submitted on"))
    attributes = models.JSONField(
        _("reporting attributes"),
        default=dict,
        blank=True,
        help_text=_("Only the poll's declared reporting variables."),
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"{self.poll.slug} {self.submitted_on}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    option = models.ForeignKey(
        Option, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "option"], name="answer_option_once"
            ),
        ]
        indexes = [models.Index(fields=["question", "option"])]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.option.code if self.option else ''}"
