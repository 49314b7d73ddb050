from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from polls.fieldwork.sending import (
    NotSendable,
    due_for_reminder,
    next_reminder_step,
    poll_check_sendable,
)
from polls.models import Poll
from polls.tasks import invitations_queue
from staff.audit import record


class Command(BaseCommand):
    help = (
        "Send the next reminder of a poll to those invited who have not answered (never to "
        "members who completed, opted out or bounced; nothing once the poll has closed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", required=True, help="The poll's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; send nothing."
        )

    def handle(self, *args, poll: str, dry_run: bool = False, **options):
        try:
            the_poll = Poll.objects.get(slug=poll)
        except Poll.DoesNotExist:
            raise CommandError(f"No poll with the slug “{poll}”.") from None
        try:
            poll_check_sendable(the_poll)
        except NotSendable as exc:
            raise CommandError(str(exc)) from None
        step = next_reminder_step(poll=the_poll)
        due = due_for_reminder(poll=the_poll, step=step).count()
        if dry_run:
            self.stdout.write(f"Would send reminder {step} to {due} member(s). Nothing was sent.")
            return
        with transaction.atomic():
            queued = invitations_queue(poll=the_poll, step=step)
            record(
                "manage.py send_reminders",
                "reminders.send",
                target=the_poll.slug,
                step=step,
                queued=queued,
            )
        self.stdout.write(self.style.SUCCESS(f"Reminder {step}: {queued} e-mail(s) queued."))
