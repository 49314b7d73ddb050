"""The invitation e-mail of a poll: its wording (per poll, Swedish and English, with
placeholders), checking it, and making the message, plain text and HTML.

One e-mail carries both languages (we do not know a member's): the Swedish text, then the
English one. The wording is the poll's `InvitationEmail`, or the default below. Placeholders:
{link} the member's personal link (required in each text), {union} the union's name, {title}
the poll's title, {closes} the closing date (a line holding {closes} is left out when the poll
has no closing date). The unsubscribe link is always added at the foot, whatever the text says:
the editor cannot leave it out.

Speed: `email_template` fills in everything but the two links once per poll and step
(`EmailTemplate`), and each message is then two string replacements (`EmailTemplate.render`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from ..models import InvitationEmail, Poll

PLACEHOLDERS = ("link", "union", "title", "closes")
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")

# Unlikely to be typed by an editor, and unchanged by HTML escaping.
LINK_MARK = "MRSTLINKMARK"
OPT_OUT_MARK = "MRSTOPTOUTMARK"

DEFAULT_SUBJECT_SV = "{union}: {title}"
DEFAULT_SUBJECT_EN = "{union}: {title}"
DEFAULT_BODY_SV = """Hej!

Du har slumpmässigt valts ut att svara på en medlemsundersökning från {union}:

{title}

Svara via din personliga länk (den fungerar bara för dig och bara en gång):
{link}

Undersökningen stänger {closes}.

Dina svar är anonyma: svaren sparas utan koppling till dig, och ingen kan se vad du har \
svarat.

Med vänlig hälsning
{union}"""
DEFAULT_BODY_EN = """Hello,

You have been randomly selected to answer a member survey from {union}: {title}

Answer through your personal link (it works only for you, and only once); you can switch the \
survey to English at the top of the page:
{link}

The survey closes on {closes}.

Your answers are anonymous: they are kept with nothing that links them to you, and nobody can \
see what you answered."""


@dataclass(frozen=True)
class Wording:
    subject_sv: str
    subject_en: str
    body_sv: str
    body_en: str


def default_wording() -> Wording:
    return Wording(DEFAULT_SUBJECT_SV, DEFAULT_SUBJECT_EN, DEFAULT_BODY_SV, DEFAULT_BODY_EN)


def poll_wording(poll: Poll) -> Wording:
    """The poll's own wording, or the default one."""
    saved = InvitationEmail.objects.filter(poll=poll).first()
    if saved is None:
        return default_wording()
    return Wording(saved.subject_sv, saved.subject_en, saved.body_sv, saved.body_en)


def wording_problems(text: str, *, needs_link: bool) -> list[str]:
    """What is wrong with one text's placeholders, in words an editor can act on."""
    problems = []
    unknown = sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})
    if unknown:
        problems.append(
            _("Unknown placeholder(s) %(names)s: use %(allowed)s.")
            % {
                "names": ", ".join("{" + n + "}" for n in unknown),
                "allowed": ", ".join("{" + n + "}" for n in PLACEHOLDERS),
            }
        )
    if needs_link and "{link}" not in text:
        problems.append(_("The text must hold {link}: the member's personal link goes there."))
    return problems


def wording_save(*, poll: Poll, wording: Wording) -> InvitationEmail:
    saved, _created = InvitationEmail.objects.update_or_create(
        poll=poll,
        defaults={
            "subject_sv": wording.subject_sv,
            "subject_en": wording.subject_en,
            "body_sv": wording.body_sv,
            "body_en": wording.body_en,
        },
    )
    return saved


def wording_reset(*, poll: Poll) -> None:
    InvitationEmail.objects.filter(poll=poll).delete()


# --- making the message ----------------------------------------------------------------------


def _fill(text: str, values: dict[str, str]) -> str:
    lines = []
    for line in text.splitlines():
        if "{closes}" in line and not values["closes"]:
            continue  # no closing date: the sentence about it goes
        lines.append(PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), line))
    return "\n".join(lines).strip()


def _values(poll: Poll, language: str) -> dict[str, str]:
    with translation.override(language):
        closes = date_format(localtime(poll.closes_at), "j F Y") if poll.closes_at else ""
    title = (poll.title_en if language == "en" else "") or poll.title_sv
    return {
        "link": LINK_MARK,
        "union": poll.organisation,
        "title": title,
        "closes": closes,
    }


def _html_paragraphs(text: str) -> SafeString:
    """Blank lines part paragraphs, line breaks stay; the link becomes a link (the rest is
    escaped: an editor's text is never markup)."""
    parts = []
    for paragraph in re.split(r"\n\s*\n", text):
        if not paragraph.strip():
            continue
        html = "<br>\n".join(escape(line) for line in paragraph.strip().splitlines())
        html = html.replace(LINK_MARK, f'<a href="{LINK_MARK}">{LINK_MARK}</a>')
        parts.append(f"<p>{html}</p>")
    return mark_safe("\n".join(parts))  # noqa: S308 (escaped above)


@dataclass(frozen=True)
class EmailTemplate:
    """A poll's e-mail for one step with everything but the two links filled in."""

    subject: str
    text: str
    html: str

    def render(self, *, link: str, opt_out: str) -> tuple[str, str, str]:
        """(subject, plain text, HTML) for one member."""
        html_link, html_opt_out = escape(link), escape(opt_out)
        return (
            self.subject,
            self.text.replace(LINK_MARK, link).replace(OPT_OUT_MARK, opt_out),
            self.html.replace(LINK_MARK, html_link).replace(OPT_OUT_MARK, html_opt_out),
        )


def email_template(poll: Poll, *, step: int = 0, wording: Wording | None = None) -> EmailTemplate:
    """The e-mail of `poll` for `step` (0 the invitation, n the n-th reminder)."""
    wording = wording or poll_wording(poll)
    sv, en = _values(poll, "sv"), _values(poll, "en")
    body_sv = _fill(wording.body_sv, sv)
    body_en = _fill(wording.body_en, en) if wording.body_en.strip() else ""
    with translation.override("sv"):
        subject = _fill(wording.subject_sv, sv).replace("\n", " ")
        reminder_sv = _("We have not had your answer yet, and every answer counts.") if step else ""
        if step:
            subject = _("Reminder: %(subject)s") % {"subject": subject}
    with translation.override("en"):
        reminder_en = _("We have not had your answer yet, and every answer counts.") if step else ""
    context = {
        "poll": poll,
        "reminder_sv": reminder_sv,
        "reminder_en": reminder_en,
        "body_sv": body_sv,
        "body_en": body_en,
        "subject_en": _fill(wording.subject_en, en) if body_en else "",
        "opt_out_url": OPT_OUT_MARK,
    }
    text = render_to_string("polls/email/invitation.txt", context)
    html = render_to_string(
        "polls/email/invitation.html",
        {
            **context,
            "subject": subject,
            "html_sv": _html_paragraphs(body_sv),
            "html_en": _html_paragraphs(body_en),
        },
    )
    return EmailTemplate(subject=subject, text=text, html=html)
