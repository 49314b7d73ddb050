"""The member's opt-out link and the mail provider's bounce webhook (no login: the signed
link and the shared secret are the keys)."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..models import Invitation
from .optouts import bounces_record, invitation_opt_out
from .sending import opt_out_invitation_id


@never_cache
@csrf_exempt  # RFC 8058: the mail client's one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, signed: str) -> HttpResponse:
    """Permission: anyone holding the signed opt-out link of an invitation e-mail.

    GET shows one button (a link scanner that opens every link must not opt members out); the
    POST of that button, or of the mail client's List-Unsubscribe-Post, opts the member out of
    every poll of the register. Repeating it changes nothing."""
    invitation_id = opt_out_invitation_id(signed)
    if invitation_id is None:
        return render(request, "polls/answer_unknown.html", status=404)
    if request.method == "GET":
        invitation = Invitation.objects.select_related("poll").filter(pk=invitation_id).first()
        if invitation is None:
            return render(request, "polls/answer_unknown.html", status=404)
        return render(request, "polls/opt_out.html", {"poll": invitation.poll})
    invitation = invitation_opt_out(invitation_id=invitation_id)
    if invitation is None:
        return render(request, "polls/answer_unknown.html", status=404)
    return render(request, "polls/opt_out_done.html", {"poll": invitation.poll})


@csrf_exempt  # called by the mail provider, authenticated by the shared secret
@require_POST
def bounce_webhook(request: HttpRequest) -> HttpResponse:
    """Permission: the mail provider, with the shared secret (BOUNCE_WEBHOOK_SECRET) in the
    X-Medlemsrost-Secret header, compared in constant time. Body: JSON
    {"addresses": ["a@example.org", ...]} or {"email": "a@example.org"}."""
    secret = settings.BOUNCE_WEBHOOK_SECRET
    given = request.headers.get("X-Medlemsrost-Secret", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "the body is not JSON"}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"error": "expected a JSON object"}, status=400)
    addresses = body.get("addresses") or ([body["email"]] if body.get("email") else [])
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        return JsonResponse({"error": "addresses must be a list of strings"}, status=400)
    found = bounces_record(addresses=addresses)
    return JsonResponse({"members": found})
