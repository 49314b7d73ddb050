from django.core.management.base import BaseCommand, CommandError

from polls.fieldwork.status import COLUMNS, field_figures, unreachable_count
from polls.models import Poll


class Command(BaseCommand):
    help = "Print a poll's field figures per stratum: invited, sent, failed, unknown, ..."

    def add_arguments(self, parser):
        parser.add_argument("--poll", required=True, help="The poll's slug.")

    def handle(self, *args, poll: str, **options):
        try:
            the_poll = Poll.objects.get(slug=poll)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{poll}”.") from None
        figures = field_figures(poll=the_poll)
        self.stdout.write(f"{the_poll.slug} ({the_poll.get_state_display()})")
        self.stdout.write("\t".join(["stratum", *COLUMNS, "response_rate"]))
        for stratum in sorted(figures, key=lambda s: (s != "", s)):
            cells = figures[stratum]
            rate = f"{100 * cells['completed'] / cells['sent']:.0f} %" if cells["sent"] else "-"
            self.stdout.write(
                "\t".join([stratum or "all", *(str(cells[c]) for c in COLUMNS), rate])
            )
        self.stdout.write(
            f"unreachable (no e-mail, opted out, bounced, left): {unreachable_count(poll=the_poll)}"
        )
