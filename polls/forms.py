from django import forms
from django.utils.translation import gettext_lazy as _

from .answering import QuestionForm


class AnswerForm(forms.Form):
    """One field per question; choices are option ids. Validation only: services write."""

    def __init__(self, *args, questions: list[QuestionForm], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for item in questions:
            q = item.question
            self.fields[f"q{q.pk}"] = forms.TypedChoiceField(
                label=q.text,
                choices=[(o.pk, o.label) for o in item.options],
                coerce=int,
                required=q.required,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Please choose an answer."),
                    "invalid_choice": _("Please choose one of the options."),
                },
            )

    def choices(self) -> dict[int, int]:
        return {
            item.question.pk: self.cleaned_data[f"q{item.question.pk}"]
            for item in self.questions
            if self.cleaned_data.get(f"q{item.question.pk}") not in (None, "")
        }

    def rows(self):
        """(question, bound field) pairs for the template, in question order."""
        return [(item.question, self[f"q{item.question.pk}"]) for item in self.questions]
