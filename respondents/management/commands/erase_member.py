import getpass

from django.core.management.base import BaseCommand, CommandError

from respondents.models import Member, Register
from respondents.privacy import member_erase


class Command(BaseCommand):
    help = (
        "Erase one member's personal data (GDPR Art. 17): number, e-mail and attributes go, "
        "the anonymous responses and the samples' counts stay; a re-import keeps them out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--register", required=True, help="The register's name.")
        parser.add_argument("--number", required=True, help="The membership number.")

    def handle(self, *args, register: str, number: str, **options):
        try:
            found = Register.objects.get(name=register)
        except Register.DoesNotExist:
            raise CommandError(f"No register named “{register}”.") from None
        member = (
            found.members.exclude(status=Member.Status.ERASED).filter(number=number.strip()).first()
        )
        if member is None:
            raise CommandError(f"No member numbered “{number}” in “{register}”.")
        member_erase(member=member, by=f"erase_member ({getpass.getuser()})")
        self.stdout.write(self.style.SUCCESS(f"Member {member.pk} of “{register}” is erased."))
