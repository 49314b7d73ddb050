from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from polls.fieldwork.sending import invitations_create
from polls.models import Poll
from polls.tasks import invitations_queue
from respondents.models import SampleDraw


class Command(BaseCommand):
    help = "Invite a sample to a poll: one e-mail per member, sent in batches by Celery."

    def add_arguments(self, parser):
        parser.add_argument("--poll", required=True, help="The poll's slug.")
        parser.add_argument("--sample", required=True, help="The sample's name.")

    def handle(self, *args, poll: str, sample: str, **options):
        try:
            the_poll = Poll.objects.get(slug=poll)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{poll}”.") from None
        try:
            draw = SampleDraw.objects.get(name=sample)
        except SampleDraw.DoesNotExist:
            raise CommandError(f"No sample named “{sample}”.") from None
        if the_poll.register_id not in (None, draw.register_id):
            raise CommandError(
                f"The sample “{sample}” is drawn from another register than the poll's population."
            )
        with transaction.atomic():
            if the_poll.register_id is None:
                the_poll.register = draw.register
                the_poll.save(update_fields=["register"])
            created = invitations_create(poll=the_poll, draw=draw)
            batches = invitations_queue(poll=the_poll)
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} new invitation(s); {batches} batch(es) queued for sending."
            )
        )
