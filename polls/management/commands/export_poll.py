from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from polls.authoring.questionnaire_json import poll_export_json
from polls.models import Poll


class Command(BaseCommand):
    help = (
        "Write a poll's questionnaire as JSON (docs/questionnaire-schema.md), to standard "
        "output or --output FILE."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, slug: str, output: str | None = None, **options):
        try:
            poll = Poll.objects.get(slug=slug)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{slug}”.") from None
        text = poll_export_json(poll)
        if output and output != "-":
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"“{poll}” written to {output}.")
        else:
            self.stdout.write(text, ending="")
