"""Questionnaires, invitations and the anonymous responses they lead to.

The invitation knows who; the response knows what; nothing joins them.
"""

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from respondents.models import Register, SampleDraw, SampleMember


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
    # A new value whenever a row of the questionnaire changes (sections, questions, options,
    # grid statements, conditions), set by PostgreSQL triggers (migration 0011), whoever
    # writes: what the answering caches are keyed by (polls.answering.questionnaires).
    questionnaire_version = models.UUIDField(default=uuid.uuid4, editable=False)
    register = models.ForeignKey(
        Register,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="polls",
        help_text=_("The population: the register the sample is drawn from."),
    )
    # Written by results when a result page of the poll is published (polls cannot import
    # results); the thank-you page links to it, and says nothing of results without it.
    results_url = models.CharField(
        _("published results"),
        max_length=300,
        blank=True,
        help_text=_("The address of the poll's published result page, if any."),
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
        validators=[MinValueValidator(1)],
        help_text=_("Groups with fewer respondents are suppressed in every breakdown."),
    )
    series = models.CharField(
        _("series"),
        max_length=100,
        blank=True,
        help_text=_("Shared by the waves of a repeated poll, e.g. verklighetsforankring."),
    )
    # The wave this poll was duplicated from, for trends; kept when that wave is deleted.
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("previous wave"),
    )
    # Anyone with /p/<slug>/ may answer, once per browser (see polls.answering.open_link): not
    # a random sample, so its results carry no margin of error.
    open_link = models.BooleanField(
        _("open link (anyone with the link may answer)"),
        default=False,
        help_text=_(
            "No invitations: anyone with the poll's link can answer, once per browser. "
            "The answers are not a random sample, so the results show no margin of error."
        ),
    )
    # Invited members since erased (polls.privacy), per register variable and value: their rows
    # no longer say, and the results' count of the invited per value adds these.
    erased_invited = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(opens_at__lt=F("closes_at")),
                name="poll_opens_before_it_closes",
            ),
            # A group of 0 respondents is no group: 1 is the least threshold that means anything.
            models.CheckConstraint(
                condition=Q(min_cell_size__gte=1), name="poll_min_cell_size_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title_sv

    @property
    def title(self) -> str:
        return self.tr("title")

    @property
    def intro(self) -> str:
        return self.tr("intro")

    def has_responses(self) -> bool:
        """Structure is locked once a response refers to it (see polls.authoring.studio)."""
        return self.responses.exists()

    def is_accepting_answers(self, now=None) -> bool:
        # Also in SQL, where a member's link is opened (polls/answering/lookup.py).
        now = now or timezone.now()
        if self.state != self.State.OPEN:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)


class Section(Translated, models.Model):
    """A page of a poll: members answer one section at a time. A poll without sections is one
    page; questions without a section come first, as an implicit untitled page."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveIntegerField(_("order"), default=0)
    title_sv = models.CharField(_("title (Swedish)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["poll", "order", "id"]

    def __str__(self) -> str:
        return self.title_sv or f"{self.poll.slug} #{self.order}"

    @property
    def title(self) -> str:
        return self.tr("title")


class Question(Translated, models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        SCALE = "scale", _("scale")
        NUMBER = "number", _("number")
        TEXT = "text", _("free text")
        RANKING = "ranking", _("ranking")
        GRID = "grid", _("grid")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    # RESTRICT, not PROTECT: deleting the whole poll may still delete its sections.
    section = models.ForeignKey(
        Section,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="questions",
        help_text=_("The page the question is on; empty: the poll's first, untitled page."),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    code = models.SlugField(_("code"), max_length=50)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    text_sv = models.TextField(_("question (Swedish)"))
    text_en = models.TextField(_("question (English)"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    randomize_options = models.BooleanField(
        _("random order"),
        default=False,
        help_text=_(
            "Show the options (in a grid: the statements) in a random order per member; "
            "anchored options keep their place."
        ),
    )
    max_choices = models.PositiveSmallIntegerField(
        _("most choices"),
        null=True,
        blank=True,
        help_text=_("Multiple choice: at most this many. Ranking: rank the top this many."),
    )
    # Scale: the points scale_min..scale_max, answered as a value; "don't know" is an option.
    scale_min = models.SmallIntegerField(_("scale from"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("scale to"), null=True, blank=True)
    label_low_sv = models.CharField(_("low end label (Swedish)"), max_length=100, blank=True)
    label_low_en = models.CharField(_("low end label (English)"), max_length=100, blank=True)
    label_high_sv = models.CharField(_("high end label (Swedish)"), max_length=100, blank=True)
    label_high_en = models.CharField(_("high end label (English)"), max_length=100, blank=True)
    # Number
    number_min = models.DecimalField(
        _("smallest number"), max_digits=15, decimal_places=4, null=True, blank=True
    )
    number_max = models.DecimalField(
        _("largest number"), max_digits=15, decimal_places=4, null=True, blank=True
    )
    decimal_places = models.PositiveSmallIntegerField(
        _("decimals"), default=0, help_text=_("0: whole numbers only.")
    )
    # Free text
    text_max_length = models.PositiveIntegerField(_("longest answer"), default=2000)
    # Display condition: shown only when the answer to an earlier question is one of these.
    condition_question = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="dependent_questions",
        verbose_name=_("shown only if the answer to"),
    )
    condition_options: "models.ManyToManyField[Option, Any]" = models.ManyToManyField(
        "Option",
        blank=True,
        related_name="conditioned_questions",
        verbose_name=_("is one of"),
    )
    # The same question in the previous wave (see Poll.predecessor), for trends.
    predecessor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("same question in the previous wave"),
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["poll", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "code"], name="question_code_unique"),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True)
                | Q(scale_max__isnull=True)
                | Q(scale_min__lt=F("scale_max")),
                name="question_scale_ascending",
            ),
            models.CheckConstraint(
                condition=Q(number_min__isnull=True)
                | Q(number_max__isnull=True)
                | Q(number_min__lte=F("number_max")),
                name="question_number_bounds_ascending",
            ),
            models.CheckConstraint(
                condition=Q(max_choices__isnull=True) | Q(max_choices__gte=1),
                name="question_max_choices_positive",
            ),
            models.CheckConstraint(
                condition=Q(text_max_length__gte=1), name="question_text_max_length_positive"
            ),
            # Answer.value keeps four decimals.
            models.CheckConstraint(
                condition=Q(decimal_places__lte=4), name="question_decimal_places_at_most_4"
            ),
            models.CheckConstraint(
                condition=~Q(condition_question=F("id")), name="question_condition_not_self"
            ),
        ]

    def __str__(self) -> str:
        return self.text_sv

    @property
    def text(self) -> str:
        return self.tr("text")

    @property
    def label_low(self) -> str:
        return self.tr("label_low")

    @property
    def label_high(self) -> str:
        return self.tr("label_high")

    def scale_points(self) -> list[int]:
        if self.scale_min is None or self.scale_max is None:
            return []
        return list(range(self.scale_min, self.scale_max + 1))


class GridRow(Translated, models.Model):
    """One statement of a grid question; the question's options are the scale it is rated on."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="rows")
    order = models.PositiveIntegerField(_("order"), default=0)
    code = models.CharField(_("code"), max_length=50)
    text_sv = models.CharField(_("statement (Swedish)"), max_length=500)
    text_en = models.CharField(_("statement (English)"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("grid statement")
        verbose_name_plural = _("grid statements")
        ordering = ["question", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="gridrow_code_unique"),
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
    exclusive = models.BooleanField(
        _("exclusive"),
        default=False,
        help_text=_("Multiple choice: cannot be combined with other options, e.g. “Vet ej”."),
    )
    anchored = models.BooleanField(
        _("anchored"),
        default=False,
        help_text=_("Keeps its place when the options are shown in random order, e.g. “Annat”."),
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


class OptionLink(models.Model):
    """For trends: which option of the previous wave's question an option continues, where
    the wording or the codes changed between waves (polls.authoring.wave_links). An option
    without a row continues the previous wave's option of the same code (else of the same
    order); a row without a predecessor says the option is new in this wave. One to one: an
    old option continues in at most one new option (merged options are not compared)."""

    option = models.OneToOneField(Option, on_delete=models.CASCADE, related_name="wave_link")
    predecessor = models.ForeignKey(
        Option,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="successor_links",
        verbose_name=_("same answer in the previous wave"),
    )

    class Meta:
        verbose_name = _("answer linked across waves")
        verbose_name_plural = _("answers linked across waves")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor"],
                condition=Q(predecessor__isnull=False),
                name="option_link_predecessor_once",
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=F("option")), name="option_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.option_id} <- {self.predecessor_id}"


class TextEdit(models.Model):
    """A change to a Swedish or English text of a poll that already has responses: typo fixes
    stay possible after the structure is locked, and each is kept here for the record."""

    class ObjectType(models.TextChoices):
        POLL = "poll", _("poll")
        SECTION = "section", _("section")
        QUESTION = "question", _("question")
        OPTION = "option", _("option")
        ROW = "row", _("grid statement")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="text_edits")
    object_type = models.CharField(_("object"), max_length=16, choices=ObjectType.choices)
    object_id = models.PositiveIntegerField()
    object_label = models.CharField(
        _("where"), max_length=200, blank=True, help_text=_("E.g. the question's code.")
    )
    field = models.CharField(_("field"), max_length=50)
    old = models.TextField(_("before"), blank=True)
    new = models.TextField(_("after"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("text edit")
        verbose_name_plural = _("text edits")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.poll.slug} {self.object_type} {self.object_id} {self.field}"


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
        # The worker stopped while it held the e-mail (see docs/fieldwork.md): it may or may not
        # have gone out, so it is not sent again unless an admin decides so.
        UNKNOWN = "unknown", _("unknown: check before resending")

    ANSWERABLE = (Status.SENT, Status.STARTED)
    # Who may still get a reminder: the invitation went out and the member has not finished.
    REMINDABLE = (Status.SENT, Status.STARTED)

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="invitations")
    sample_member = models.ForeignKey(
        SampleMember, on_delete=models.PROTECT, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    # The link of the latest reminder (the invitation's own link keeps working beside it).
    reminder_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.CharField(_("last error"), max_length=300, blank=True)
    # When the invitation (or its reminder) was last put on the broker: a queued one whose task
    # is older than INVITATION_REQUEUE_AFTER is queued again (the database is the truth).
    queued_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the e-mail until then; past it, polls.fieldwork.sending.leases_expire
    # marks the e-mail unknown.
    lease_until = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    # The number of the reminder a worker is sending now, if any.
    reminder_sending = models.PositiveSmallIntegerField(null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

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
    """One typed row of a response: a chosen option (one row per option in a multiple choice),
    a ranked option with its rank, a grid statement with its option, a number or scale value,
    or a text."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    option = models.ForeignKey(
        Option, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    row = models.ForeignKey(
        GridRow, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    value = models.DecimalField(max_digits=15, decimal_places=4, null=True, blank=True)
    text = models.TextField(null=True, blank=True)  # noqa: DJ001 (null: no text answer)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            # Each option once per response and question (single, multiple, ranking).
            models.UniqueConstraint(
                fields=["response", "question", "option"],
                condition=Q(row__isnull=True),
                name="answer_option_once",
            ),
            # Each grid statement answered once.
            models.UniqueConstraint(
                fields=["response", "question", "row"],
                condition=Q(row__isnull=False),
                name="answer_row_once",
            ),
            # Each rank given once.
            models.UniqueConstraint(
                fields=["response", "question", "rank"],
                condition=Q(rank__isnull=False),
                name="answer_rank_once",
            ),
            # One number, scale point or text per question.
            models.UniqueConstraint(
                fields=["response", "question"],
                condition=Q(option__isnull=True),
                name="answer_value_once",
            ),
            models.CheckConstraint(
                condition=Q(option__isnull=False, value__isnull=True, text__isnull=True)
                | Q(option__isnull=True, value__isnull=False, text__isnull=True)
                | Q(option__isnull=True, value__isnull=True, text__isnull=False),
                name="answer_one_kind_of_content",
            ),
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(option__isnull=False, rank__gte=1),
                name="answer_rank_with_option",
            ),
            models.CheckConstraint(
                condition=Q(row__isnull=True) | Q(option__isnull=False),
                name="answer_row_with_option",
            ),
        ]
        indexes = [models.Index(fields=["question", "option"])]

    def __str__(self) -> str:
        if self.option is not None:
            return f"{self.question.code}: {self.option.code}"
        return f"{self.question.code}: {self.value if self.value is not None else self.text}"


class Draft(models.Model):
    """A member's answers in progress, so they can close the tab and go on from the same link on
    another device. A temporary working copy of the raw form values (field name -> list of
    strings), not the answer store: deleted in the transaction that submits the response."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="draft")
    data = models.JSONField(default=dict, blank=True)
    current_section = models.PositiveSmallIntegerField(
        default=0, help_text=_("Index of the page (section) the member is on.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")

    def __str__(self) -> str:
        return f"draft {self.invitation_id}"


class FieldPlan(models.Model):
    """When a poll's e-mails go out: the invitation time, reminders on given days after it, and
    a sending rate. `polls.tasks.field_work_tick` (beat, every minute) runs each step once, when
    its time has come and the poll may be sent to; a step can be changed until it has run."""

    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="field_plan")
    draws = models.ManyToManyField(
        SampleDraw, verbose_name=_("samples to invite"), related_name="field_plans", blank=True
    )
    invite_at = models.DateTimeField(_("invitations go out"), null=True, blank=True)
    reminder_days = models.JSONField(
        _("reminders on day"),
        default=list,
        blank=True,
        help_text=_("Days after the invitations, e.g. 3 and 6."),
    )
    rate_per_minute = models.PositiveIntegerField(
        _("e-mails per minute"), null=True, blank=True, help_text=_("Empty: as fast as possible.")
    )
    # What has run: set once, by the tick that ran the step (a conditional update).
    invited_at = models.DateTimeField(null=True, blank=True)
    reminders_done = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("field plan")
        verbose_name_plural = _("field plans")

    def __str__(self) -> str:
        return f"{self.poll.slug}: {self.invite_at}"


class InvitationEmail(models.Model):
    """The poll's own wording of its invitation e-mail, in Swedish and English. The texts hold
    placeholders (`polls.fieldwork.emails.PLACEHOLDERS`): {link} (the member's personal link,
    required), {union}, {title}, {closes}; the unsubscribe link is always added at the foot. A
    poll without one sends the default wording. Reminders send the same text after a line
    saying it is a reminder."""

    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="invitation_email")
    subject_sv = models.CharField(_("subject (Swedish)"), max_length=200)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_sv = models.TextField(_("text (Swedish)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("invitation e-mail")
        verbose_name_plural = _("invitation e-mails")

    def __str__(self) -> str:
        return f"{self.poll.slug}: {self.subject_sv}"
