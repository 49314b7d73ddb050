"""Settings of the bench's minimal view (bench/_minimal_urls.py): the product's settings with no
middleware and one URL, served by the same `gunicorn config.wsgi` command as the product
(`DJANGO_SETTINGS_MODULE=bench.minimal_settings`). Never used by the product."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench._minimal_urls"
MIDDLEWARE: list[str] = []
