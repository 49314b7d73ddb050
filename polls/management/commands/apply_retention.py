from django.core.management.base import BaseCommand, CommandError

from polls.privacy import retention_apply, retention_months


class Command(BaseCommand):
    help = (
        "Erase the personal data of members whose every poll closed more than "
        "PERSONAL_DATA_RETENTION_MONTHS months ago (and who are in no open poll). "
        "--dry-run lists them and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, erase nothing.")
        parser.add_argument(
            "--months", type=int, help="Override PERSONAL_DATA_RETENTION_MONTHS for this run."
        )

    def handle(self, *args, dry_run: bool = False, months: int | None = None, **options):
        months = retention_months() if months is None else months
        if months < 0:
            raise CommandError("--months must be 0 (off) or more.")
        if months == 0:
            self.stdout.write(
                "The retention rule is off (PERSONAL_DATA_RETENTION_MONTHS is 0); nothing to do."
            )
            return
        members = retention_apply(months=months, dry_run=dry_run)
        verb = "would be erased" if dry_run else "erased"
        for member in members:
            self.stdout.write(f"{member.register.name}\t#{member.number}\t(member {member.pk})")
        self.stdout.write(
            self.style.SUCCESS(f"{len(members)} members {verb} (polls closed > {months} months).")
        )
