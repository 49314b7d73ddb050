from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from respondents.importing import ImportFileError, register_import


class Command(BaseCommand):
    help = "Import or refresh a member register from a CSV export."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--register", required=True, help="Name of the register.")
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="Import the valid rows even when some rows are bad.",
        )

    def handle(self, *args, file: Path, register: str, valid_only: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            report = register_import(name=register, data=data, valid_only=valid_only)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors and not valid_only:
            raise CommandError(
                f"{len(report.errors)} bad row(s); nothing was imported. "
                "Fix the file, or pass --valid-only to import the valid rows."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Register “{register}”: {report.added} added, {report.updated} updated, "
                f"{report.left} marked as left, {report.skipped} bad row(s) skipped."
            )
        )
