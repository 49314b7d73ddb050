from django.core.management.base import BaseCommand, CommandError

from polls.fieldwork.closing import poll_close
from polls.models import Poll


class Command(BaseCommand):
    help = "Close a poll's field period now: no more answers; unfinished drafts are deleted."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options):
        try:
            poll = Poll.objects.get(slug=slug)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{slug}”.") from None
        if poll_close(poll=poll):
            self.stdout.write(self.style.SUCCESS(f"“{poll}” is closed."))
        else:
            self.stdout.write(
                f"“{poll}” was not open ({poll.get_state_display()}); nothing changed."
            )
