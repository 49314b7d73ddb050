from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from polls.fieldwork.sending import NotSendable, invitations_create, poll_check_sendable
from polls.models import Poll
from polls.tasks import invitations_queue
from respondents.models import Member, SampleDraw
from staff.audit import record


class Command(BaseCommand):
    help = (
        "Invite a sample to a poll: one e-mail per reachable member, sent in batches by Celery. "
        "Only an open or scheduled poll is sent to."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", required=True, help="The poll's slug.")
        parser.add_argument("--sample", required=True, help="The sample's name.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; send nothing."
        )

    def handle(self, *args, poll: str, sample: str, dry_run: bool = False, **options):
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
        try:
            poll_check_sendable(the_poll)
        except NotSendable as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            members = draw.members.all()
            reachable = members.filter(member__status=Member.Status.ACTIVE).exclude(
                member__email=""
            )
            invited = the_poll.invitations.filter(sample_member__draw=draw).count()
            self.stdout.write(
                f"Would invite {reachable.count() - invited} member(s) of “{draw.name}” "
                f"({members.count()} sampled, {members.count() - reachable.count()} unreachable: "
                f"no e-mail, opted out, bounced or left; {invited} already invited) "
                f"to “{the_poll.slug}”. Nothing was sent."
            )
            return
        with transaction.atomic():
            if the_poll.register_id is None:
                the_poll.register = draw.register
                the_poll.save(update_fields=["register"])
            created = invitations_create(poll=the_poll, draw=draw)
            queued = invitations_queue(poll=the_poll)
            record(
                "manage.py send_invitations",
                "invitations.send",
                target=the_poll.slug,
                samples=[draw.name],
                created=created,
                queued=queued,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} new invitation(s); {queued} e-mail(s) queued for sending."
            )
        )
