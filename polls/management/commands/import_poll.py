import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from polls.authoring.questionnaire_json import QuestionnaireError, poll_import


class Command(BaseCommand):
    help = (
        "Create a draft poll from a questionnaire JSON file (docs/questionnaire-schema.md). "
        "A file with any problem is refused with the path of each problem; nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file, or - for standard input.")
        parser.add_argument("--slug", help="The new poll's slug instead of the file's.")

    def handle(self, *args, file: str, slug: str | None = None, **options):
        if file == "-":
            data = sys.stdin.buffer.read()
        else:
            try:
                data = Path(file).read_bytes()
            except OSError as error:
                raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        try:
            poll = poll_import(data, slug=slug)
        except QuestionnaireError as error:
            raise CommandError(
                f"{file} was not imported; nothing changed.\n" + "\n".join(error.problems)
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported “{poll}” as the draft {poll.slug} ({poll.questions.count()} questions)."
            )
        )
