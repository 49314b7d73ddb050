"""How a poll's results are estimated: its weighting and interval settings.

They live in the results layer (polls must not know about results); a poll without a row here
is estimated unweighted, with Wilson intervals at 95 % and "don't know" answers included.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from polls.models import Poll


class ResultSettings(models.Model):
    class Weighting(models.TextChoices):
        NONE = "none", _("no weighting")
        POSTSTRAT = "poststrat", _("post-stratification")
        RAKE = "rake", _("raking")

    class CiMethod(models.TextChoices):
        WILSON = "wilson", _("Wilson")
        WALD = "wald", _("Wald")
        LOGIT = "logit", _("logit")

    class CiDf(models.TextChoices):
        NORMAL = "normal", _("normal (z)")
        T = "t", _("Student's t, with the subgroup's degrees of freedom")

    class DontKnow(models.TextChoices):
        INCLUDE = "include", _("counted in the shares")
        EXCLUDE = "exclude", _("left out of the shares")

    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="result_settings")
    weighting = models.CharField(
        _("weighting"), max_length=16, choices=Weighting.choices, default=Weighting.NONE
    )
    weight_by = models.JSONField(
        _("weight by"),
        default=list,
        blank=True,
        help_text=_("Reporting variables whose register counts the weights reproduce."),
    )
    ci_method = models.CharField(
        _("confidence interval"), max_length=16, choices=CiMethod.choices, default=CiMethod.WILSON
    )
    level = models.FloatField(_("confidence level"), default=0.95)
    ci_df = models.CharField(
        _("interval quantile"),
        max_length=8,
        choices=CiDf.choices,
        default=CiDf.NORMAL,
        help_text=_(
            "t: Student's t with the respondents in the domain minus strata as degrees of "
            "freedom (wider intervals for small subgroups)."
        ),
    )
    dont_know = models.CharField(
        _("“don't know” answers"),
        max_length=16,
        choices=DontKnow.choices,
        default=DontKnow.INCLUDE,
    )
    dont_know_by_question = models.JSONField(
        _("“don't know” per question"),
        default=dict,
        blank=True,
        help_text=_("Question code → include or exclude, where it differs from the poll's."),
    )

    class Meta:
        verbose_name = _("result settings")
        verbose_name_plural = _("result settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gt=0) & Q(level__lt=1), name="result_settings_level_in_0_1"
            ),
            models.CheckConstraint(
                condition=Q(weighting__in=["none", "poststrat", "rake"]),
                name="result_settings_weighting_valid",
            ),
            models.CheckConstraint(
                condition=Q(ci_method__in=["wilson", "wald", "logit"]),
                name="result_settings_ci_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(dont_know__in=["include", "exclude"]),
                name="result_settings_dont_know_valid",
            ),
            models.CheckConstraint(
                condition=Q(ci_df__in=["normal", "t"]),
                name="result_settings_ci_df_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.poll.slug}: {self.weighting}, {self.ci_method} {self.level:g}"

    @classmethod
    def for_poll(cls, poll: Poll) -> ResultSettings:
        """The poll's settings, or the defaults (unsaved) when it has none."""
        found = cls.objects.filter(poll=poll).first()
        return found if found is not None else cls(poll=poll)

    def excludes_dont_know(self, question_code: str) -> bool:
        choice = self.dont_know_by_question.get(question_code, self.dont_know)
        return choice == self.DontKnow.EXCLUDE


class AnswerCode(models.Model):
    """An editor's category for the open answers of one free-text question ("Mer tid")."""

    question = models.ForeignKey(
        "polls.Question", on_delete=models.CASCADE, related_name="answer_codes"
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    label_sv = models.CharField(_("label (Swedish)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("answer code")
        verbose_name_plural = _("answer codes")
        ordering = ["question", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "label_sv"], name="answer_code_label_unique"
            )
        ]

    def __str__(self) -> str:
        return self.label_sv

    @property
    def label(self) -> str:
        if translation.get_language() == "en" and self.label_en:
            return self.label_en
        return self.label_sv


class CodedAnswer(models.Model):
    """One code given to one open answer; an answer may have several."""

    answer = models.ForeignKey("polls.Answer", on_delete=models.CASCADE, related_name="codings")
    code = models.ForeignKey(AnswerCode, on_delete=models.CASCADE, related_name="codings")

    class Meta:
        verbose_name = _("coded answer")
        verbose_name_plural = _("coded answers")
        constraints = [models.UniqueConstraint(fields=["answer", "code"], name="coded_answer_once")]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.code}"


class ResultPage(models.Model):
    """A published article of a poll's results: title, lead, body and blocks, with the
    methodology box generated from the data. What the public sees is a frozen
    `ResultPageVersion`; editing the page changes nothing public until it is published again."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        PUBLISHED = "published", _("published")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="result_pages")
    slug = models.SlugField(_("address"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    lead = models.TextField(_("lead"), blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    # Who scheduled the page (state "scheduled"), and the flagged claims they chose to publish
    # anyway then: beat publishes it at `publish_at` only if no other claim is flagged by then.
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_overrides = models.JSONField(
        _("claims to publish anyway when due"), default=list, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("result page")
        verbose_name_plural = _("result pages")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["draft", "scheduled", "published"]),
                name="result_page_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="scheduled") | Q(publish_at__isnull=False),
                name="result_page_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def latest_version(self) -> ResultPageVersion | None:
        return self.versions.order_by("-number").first()


class ResultBlock(models.Model):
    """One block of a result page, in order."""

    class Kind(models.TextChoices):
        CHART = "chart", _("chart of a question")
        CODED = "coded", _("top list of a coded open question")
        KEY_FIGURE = "key_figure", _("key figure")
        TEXT = "text", _("text")
        QUOTE = "quote", _("quote")
        TREND = "trend", _("trend across waves")

    page = models.ForeignKey(ResultPage, on_delete=models.CASCADE, related_name="blocks")
    order = models.PositiveIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CHART)
    question = models.ForeignKey(
        "polls.Question",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("question"),
    )
    option_code = models.CharField(
        _("answer (key figure)"),
        max_length=50,
        blank=True,
        help_text=_("The code of the answer whose share a key figure shows."),
    )
    by = models.CharField(_("broken down by"), max_length=100, blank=True)
    weighted = models.BooleanField(_("weighted"), default=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("result block")
        verbose_name_plural = _("result blocks")
        ordering = ["page", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["chart", "coded", "key_figure", "text", "quote", "trend"]),
                name="result_block_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} #{self.order} {self.kind}"


class ResultPageVersion(models.Model):
    """A frozen snapshot of a page at publishing: its texts and every number it shows, in each
    language, so that later answers or a change of weighting never move a published page."""

    page = models.ForeignKey(ResultPage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Claims the editor published although the checker flagged them ("publish anyway").
    overridden_claims = models.JSONField(_("claims published anyway"), default=list, blank=True)

    class Meta:
        verbose_name = _("result page version")
        verbose_name_plural = _("result page versions")
        ordering = ["page", "number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="result_page_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.page.slug} v{self.number}"


class ExportJob(models.Model):
    """One export of a poll's data, written in the background with visible progress (see
    results/exports and docs/exports.md). The file is kept in the row, as an import's upload
    is: no shared file storage is needed between the web and worker containers."""

    class Kind(models.TextChoices):
        MICRODATA = "microdata", _("anonymous microdata with weights")
        AGGREGATES = "aggregates", _("aggregated tables")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")
        SAV = "sav", _("SPSS (.sav)")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("exporting")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="export_jobs")
    kind = models.CharField(_("export"), max_length=16, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    by = models.CharField(_("broken down by"), max_length=100, blank=True)
    # The language of the headers and labels: the requester's.
    language = models.CharField(_("language"), max_length=8, default="sv")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    data = models.BinaryField(editable=False, default=b"")
    filename = models.CharField(_("file"), max_length=200, blank=True)
    error = models.TextField(_("why it stopped"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["microdata", "aggregates"]), name="export_job_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(format__in=["csv", "xlsx", "sav"]), name="export_job_format_valid"
            ),
            # SPSS files carry row-level data only: aggregates are CSV or XLSX.
            models.CheckConstraint(
                condition=Q(kind="microdata") | ~Q(format="sav"),
                name="export_job_sav_is_microdata",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.poll.slug}: {self.kind} {self.format}"

    @property
    def row_level(self) -> bool:
        """Row-level data (microdata): for the Admin role only."""
        return self.kind == self.Kind.MICRODATA

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REFUSED, self.Status.FAILED)
