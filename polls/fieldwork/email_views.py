"""The poll's invitation e-mail in the studio: edit its wording, preview it (invitation and
reminder, plain text and HTML), and send a test to one's own address.

Permission: Editor or Admin (the wording holds no personal data; the test goes to the logged-in
user's own address only). The poll is reached through staff.access.reach.
"""

from __future__ import annotations

import logging
import smtplib

from django import forms
from django.contrib import messages
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from staff.access import editor_required, reach
from staff.audit import record

from ..models import Poll
from .emails import (
    PLACEHOLDERS,
    Wording,
    email_template,
    poll_wording,
    wording_problems,
    wording_reset,
    wording_save,
)
from .sending import answer_url

log = logging.getLogger(__name__)

# Links that look like the real ones and open nothing: a preview or test never makes a token.
EXAMPLE_TOKEN = "exempel-ingen-riktig-lank"  # noqa: S105 (not a secret: opens nothing)


class WordingForm(forms.Form):
    subject_sv = forms.CharField(label=gettext_lazy("Subject (Swedish)"), max_length=200)
    body_sv = forms.CharField(
        label=gettext_lazy("Text (Swedish)"), widget=forms.Textarea(attrs={"rows": 14})
    )
    subject_en = forms.CharField(
        label=gettext_lazy("Subject (English)"), max_length=200, required=False
    )
    body_en = forms.CharField(
        label=gettext_lazy("Text (English)"),
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        help_text=gettext_lazy("Empty: the e-mail is in Swedish only."),
    )

    def clean(self):
        data = super().clean() or {}
        for name in ("subject_sv", "subject_en"):
            for problem in wording_problems(data.get(name, ""), needs_link=False):
                self.add_error(name, problem)
        for problem in wording_problems(data.get("body_sv", ""), needs_link=True):
            self.add_error("body_sv", problem)
        if (data.get("body_en") or "").strip():
            for problem in wording_problems(data["body_en"], needs_link=True):
                self.add_error("body_en", problem)
            if not (data.get("subject_en") or "").strip():
                self.add_error("subject_en", _("Give the English text a subject too."))
        return data

    def wording(self) -> Wording:
        data = self.cleaned_data
        return Wording(
            subject_sv=data["subject_sv"].strip(),
            subject_en=(data.get("subject_en") or "").strip(),
            body_sv=data["body_sv"].strip(),
            body_en=(data.get("body_en") or "").strip(),
        )


def _poll(request: HttpRequest, slug: str) -> Poll:
    return reach(request.user, Poll, slug=slug)


def _example(poll: Poll, *, step: int, wording: Wording | None = None) -> dict[str, str]:
    subject, text, html = email_template(poll, step=step, wording=wording).render(
        link=answer_url(EXAMPLE_TOKEN), opt_out=answer_url(EXAMPLE_TOKEN).replace("/s/", "/u/")
    )
    # The HTML part's body, shown inside the page (it is our own markup: the editor's text is
    # escaped in it).
    inner = html.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
    return {"subject": subject, "text": text, "html": html, "html_body": inner}


@editor_required
def email_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor or Admin. The wording of the poll's invitation e-mail."""
    poll = _poll(request, slug)
    current = poll_wording(poll)
    if request.method == "POST":
        if request.POST.get("action") == "reset":
            with transaction.atomic():
                wording_reset(poll=poll)
                record(request.user, "email.reset", target=poll.slug)
            messages.success(request, _("The e-mail has the default wording again."))
            return redirect("poll-email", slug=poll.slug)
        form = WordingForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                wording_save(poll=poll, wording=form.wording())
                record(request.user, "email.save", target=poll.slug)
            messages.success(request, _("The e-mail was saved."))
            return redirect("poll-email-preview", slug=poll.slug)
        status = 400
    else:
        form = WordingForm(initial=current.__dict__)
        status = 200
    return render(
        request,
        "polls/field/email_edit.html",
        {"poll": poll, "form": form, "placeholders": PLACEHOLDERS},
        status=status,
    )


@editor_required
def email_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor or Admin. The invitation and a reminder as a member gets them."""
    poll = _poll(request, slug)
    return render(
        request,
        "polls/field/email_preview.html",
        {
            "poll": poll,
            "invitation": _example(poll, step=0),
            "reminder": _example(poll, step=1),
            "own_address": getattr(request.user, "email", ""),
        },
    )


@require_POST
@editor_required
def email_test(request: HttpRequest, slug: str) -> HttpResponse:
    """Permission: Editor or Admin. Send the invitation (or a reminder) to one's own address,
    with example links that open nothing (POST)."""
    poll = _poll(request, slug)
    address = getattr(request.user, "email", "")
    if not address:
        messages.error(
            request,
            _("Your account has no e-mail address: ask an administrator to add one."),
        )
        return redirect("poll-email-preview", slug=poll.slug)
    step = 1 if request.POST.get("step") == "1" else 0
    example = _example(poll, step=step)
    message = EmailMultiAlternatives(
        subject=_("[Test] %(subject)s") % {"subject": example["subject"]},
        body=example["text"],
        to=[address],
        reply_to=[poll.contact_email],
    )
    message.attach_alternative(example["html"], "text/html")
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("Test e-mail of %s not sent: %s", poll.slug, exc)
        messages.error(
            request, _("The test e-mail could not be sent: %(reason)s") % {"reason": exc}
        )
        return redirect("poll-email-preview", slug=poll.slug)
    record(request.user, "email.test_send", target=poll.slug, step=step)
    messages.success(request, _("A test e-mail was sent to %(address)s.") % {"address": address})
    return redirect("poll-email-preview", slug=poll.slug)
