import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Import every view (and what they import: the results' numpy and scipy) as the worker starts,
# not in the first requests it serves: during the 08:00 rush after a deploy, those would take
# seconds each (bench/RESULTS.md).
_views = get_resolver().url_patterns
