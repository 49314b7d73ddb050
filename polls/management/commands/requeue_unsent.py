from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from polls.fieldwork.sending import NotSendable, poll_check_sendable
from polls.models import Poll
from polls.tasks import unsent_requeue


class Command(BaseCommand):
    help = (
        "Rebuild a poll's sending queue from the database (e.g. after Redis lost it): every "
        "queued invitation gets a task again. Safe to repeat: nothing is sent twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", required=True, help="The poll's slug.")

    def handle(self, *args, poll: str, **options):
        try:
            the_poll = Poll.objects.get(slug=poll)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{poll}”.") from None
        try:
            poll_check_sendable(the_poll)
        except NotSendable as exc:
            raise CommandError(str(exc)) from None
        with transaction.atomic():
            queued = unsent_requeue(poll=the_poll, stale_after=0)
        self.stdout.write(self.style.SUCCESS(f"{queued} unsent e-mail(s) queued again."))
