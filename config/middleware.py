from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    """Swedish unless the visitor chose another language with the language switch.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: many members
    run English-language phones but expect their union's poll in Swedish."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


def client_ip(request) -> str | None:
    """The client's address: the header RATELIMIT_IP_META_KEY names (set by our own proxy), else
    the connection's. One rule for the member rate limits and the staff login lockout."""
    key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    if key and request.META.get(key):
        return str(request.META[key]).split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")
