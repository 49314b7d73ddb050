from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from polls.fieldwork.response_import import ResponseImportError, responses_import
from polls.models import Poll
from respondents.models import Register
from staff.audit import record


class Command(BaseCommand):
    help = (
        "Import responses from a CSV file, one row a respondent: the poll's reporting variables, "
        "then one column per question code (see polls/fieldwork/response_import.py). "
        "All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", required=True, help="The poll's slug.")
        parser.add_argument(
            "--register",
            help="The register the respondents were sampled from (the population for the "
            "finite population correction and the weights): set as the poll's register.",
        )
        parser.add_argument("file", type=Path)

    def handle(self, *args, poll: str, file: Path, register: str | None = None, **options):
        try:
            target = Poll.objects.get(slug=poll)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{poll}”.") from None
        population = None
        if register:
            population = Register.objects.filter(name=register).first()
            if population is None:
                names = ", ".join(Register.objects.order_by("name").values_list("name", flat=True))
                raise CommandError(
                    f"No register named “{register}”. The registers are: {names or 'none'}."
                )
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        try:
            with transaction.atomic():
                if population is not None and target.register_id != population.pk:
                    target.register = population
                    target.save(update_fields=["register"])
                imported = responses_import(poll=target, data=data)
                record(
                    "manage.py import_responses",
                    "responses.import",
                    target=target.slug,
                    file=file.name,
                    responses=imported.responses,
                    register=population.name if population else None,
                )
        except ResponseImportError as error:
            for message in error.errors:
                self.stderr.write(message)
            raise CommandError(
                f"Nothing was imported: {len(error.errors)} problem(s) in {file.name}."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {imported.responses} responses ({imported.answers} answers) "
                f"into “{target}”"
                + (f", sampled from the register “{population.name}”." if population else ".")
            )
        )
