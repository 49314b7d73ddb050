"""The words a reader of the audit trail sees: a label for each action the product records, the
groups the trail page filters by, and labels for the keys of the details.

Every action string passed to `staff.audit.record` anywhere in the project has a label here
(tests/test_audit_page.py reads the sources and fails on one without). An action written before
it got a label, or by a later version, is shown as its raw string."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Downloading the audit trail is itself audited.
AUDIT_DOWNLOAD = "audit.download"

# group key -> (label, actions in it, each with its label). The order is the page's order.
ACTION_GROUPS: dict[str, tuple[Promise, dict[str, Promise]]] = {
    "registers": (
        _("Registers and samples"),
        {
            "members.import": _("Member register imported"),
            "sample.draw": _("Sample drawn"),
            "member.erase": _("Member's personal data erased"),
            "member.access_export": _("Member's data exported (access request)"),
            "retention.apply": _("Personal data erased after the retention period"),
        },
    ),
    "fieldwork": (
        _("Invitations and field work"),
        {
            "field_plan.save": _("Field plan saved"),
            "email.save": _("Invitation e-mail saved"),
            "email.reset": _("Invitation e-mail reset to the standard text"),
            "email.test_send": _("Test e-mail sent"),
            "invitations.send": _("Invitations sent"),
            "invitations.send_again": _("Failed invitations sent again"),
            "reminders.send": _("Reminders sent"),
            "bounces.upload": _("Bounced addresses uploaded"),
        },
    ),
    "polls": (
        _("Polls and responses"),
        {
            "poll.waves_linked": _("Poll linked to its previous wave"),
            "responses.import": _("Responses imported"),
            "results.analysis_settings": _("Analysis choices saved"),
        },
    ),
    "pages": (
        _("Result pages"),
        {
            "page.publish": _("Result page published"),
            "page.unpublish": _("Result page unpublished"),
            "page.schedule": _("Result page scheduled"),
            "page.unschedule": _("Result page schedule cancelled"),
            "page.schedule_failed": _("Scheduled publishing refused"),
        },
    ),
    "accounts": (
        _("Staff accounts"),
        {
            "role.change": _("Role or account status changed"),
            "two_factor.confirm": _("Two-factor verification turned on"),
            "two_factor.remove": _("Two-factor verification turned off"),
        },
    ),
    "exports": (
        _("Exports and downloads"),
        {
            "export.requested": _("Export requested"),
            "export.downloaded": _("Export downloaded"),
            "export.codebook": _("Codebook downloaded"),
            AUDIT_DOWNLOAD: _("Audit trail downloaded"),
        },
    ),
}

ACTION_LABELS: dict[str, Promise] = {
    action: label for _group, actions in ACTION_GROUPS.values() for action, label in actions.items()
}

# Keys of `details` as the callers of `record` write them.
DETAIL_LABELS: dict[str, Promise] = {
    "job": _("job"),
    "filename": _("file"),
    "file": _("file"),
    "size": _("sample size"),
    "seed": _("seed"),
    "strata": _("strata"),
    "samples": _("samples"),
    "created": _("invitations created"),
    "queued": _("e-mails queued"),
    "step": _("reminder number"),
    "given": _("addresses given"),
    "found": _("addresses found"),
    "invite_at": _("invitations at"),
    "reminder_days": _("reminder days"),
    "rate_per_minute": _("e-mails per minute"),
    "page_id": _("page"),
    "version": _("version"),
    "publish_at": _("publish at"),
    "scheduled_by": _("scheduled by"),
    "publish_anyway": _("publish despite the claim check"),
    "published_anyway": _("published despite the claim check"),
    "claims": _("claims"),
    "kind": _("kind"),
    "format": _("format"),
    "by": _("breakdown"),
    "previous": _("previous wave"),
    "questions": _("questions"),
    "responses": _("responses"),
    "register": _("register"),
    "dont_know": _("“don't know”"),
    "dont_know_by_question": _("“don't know” by question"),
    "ci_df": _("degrees of freedom"),
    "filters": _("filters"),
    # inside a claim (page.publish, page.schedule_failed)
    "text": _("text"),
    "reason": _("reason"),
    "field": _("field"),
    # inside the filters of an audit.download
    "action": _("action"),
    "who": _("who"),
    "target": _("object"),
    "since": _("from date"),
    "until": _("to date"),
}


def action_label(action: str) -> str:
    """The action in the reader's language, or the raw string when it has no label."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key
