"""Staff pages of a member's access export (GDPR Art. 15). Permission: the Admin role."""

import json

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render

from respondents.models import Member
from staff.access import admin_required, reach
from staff.audit import record

from .privacy import member_access_report


def _report(request, pk: int, form: str) -> tuple[Member, dict]:
    member = reach(request.user, Member.objects.select_related("register"), pk=pk)
    with transaction.atomic():
        report = member_access_report(member=member)
        record(
            request.user, "member.access_export", target=member.register.name, member=pk, form=form
        )
    return member, report


@admin_required
def member_data(request, pk: int):
    """Permission: Admin. Everything held about one member, as a page to read or print."""
    member, report = _report(request, pk, "html")
    return render(
        request,
        "polls/member_data.html",
        {
            "member": member,
            "report": report,
            "pretty": json.dumps(report, ensure_ascii=False, indent=2),
        },
    )


@admin_required
def member_data_json(request, pk: int):
    """Permission: Admin. The same as JSON, downloaded (to hand over to the member)."""
    _member, report = _report(request, pk, "json")
    response = HttpResponse(
        json.dumps(report, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="medlem-{pk}.json"'
    return response
