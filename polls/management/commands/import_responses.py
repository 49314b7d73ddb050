from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from polls.fieldwork.response_import import ResponseImportError, responses_import
from polls.models import Poll


class Command(BaseCommand):
    help = (
        "Import responses from a CSV file, one row a respondent: the poll's reporting variables, "
        "then one column per question code (see polls/fieldwork/response_import.py). "
        "All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", required=True, help="The poll's slug.")
        parser.add_argument("file", type=Path)

    def handle(self, *args, poll: str, file: Path, **options):
        try:
            target = Poll.objects.get(slug=poll)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{poll}”.") from None
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        try:
            imported = responses_import(poll=target, data=data)
        except ResponseImportError as error:
            for message in error.errors:
                self.stderr.write(message)
            raise CommandError(
                f"Nothing was imported: {len(error.errors)} problem(s) in {file.name}."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {imported.responses} responses ({imported.answers} answers) "
                f"into “{target}”."
            )
        )
