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
