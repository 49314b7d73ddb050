from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from respondents.importing import ImportFileError, register_import

PRINT_EVERY = 100_000


def _thousands(number: int) -> str:
    """1000000 → "1 000 000", as Swedish readers write it."""
    return f"{number:,}".replace(",", " ")


class Command(BaseCommand):
    help = "Import or refresh a member register from a CSV or XLSX export."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--register", required=True, help="Name of the register.")
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="Import the valid rows even when some rows are bad.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            dest="mapping",
            metavar="COLUMN=VARIABLE",
            help='Store a column under another name, e.g. --map "Län=region"; repeatable. '
            '--map "Personnummer=" leaves a column out.',
        )

    def handle(
        self,
        *args,
        file: Path,
        register: str,
        valid_only: bool,
        mapping: list[str],
        verbosity: int = 1,
        **options,
    ):
        columns = {}
        for item in mapping:
            column, equals, variable = item.partition("=")
            if not equals or not column.strip():
                raise CommandError(
                    _("--map takes COLUMN=VARIABLE, e.g. --map “Län=region”; got “%(item)s”.")
                    % {"item": item}
                )
            columns[column] = variable
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s") % {"file": file, "reason": exc.strerror}
            ) from exc

        printed = 0

        def progress(done: int, total: int) -> None:
            nonlocal printed
            if verbosity >= 1 and (done - printed >= PRINT_EVERY or done == total):
                printed = done
                self.stderr.write(
                    _("Imported %(done)s / %(total)s rows")
                    % {"done": _thousands(done), "total": _thousands(total)}
                )

        try:
            report = register_import(
                name=register,
                data=data,
                valid_only=valid_only,
                mapping=columns or None,
                progress=progress,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for error in report.errors:
            self.stderr.write(str(error))
        if report.errors and not valid_only:
            raise CommandError(
                _(
                    "%(count)d bad row(s); nothing was imported. Fix the file, or pass "
                    "--valid-only to import the valid rows."
                )
                % {"count": len(report.errors)}
            )
        if not report.written:
            raise CommandError(_("No row is valid; nothing was imported."))
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Register “%(register)s”: %(added)d added, %(updated)d updated (%(changed)d "
                    "with changes), %(left)d marked as left, %(skipped)d bad row(s) skipped."
                )
                % {
                    "register": register,
                    "added": report.added,
                    "updated": report.updated,
                    "changed": report.changed,
                    "left": report.left,
                    "skipped": report.skipped,
                }
            )
        )
