from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from polls.demo import STAFF, seed_demo
from results.demo import demo_coding, demo_result_page


class Command(BaseCommand):
    help = "Seed the demo (idempotent) and print the URL, the staff logins and a member link."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=5000)
        parser.add_argument("--sample", type=int, default=1000)
        parser.add_argument("--responses", type=int, default=600)

    def handle(self, *args, members: int, sample: int, responses: int, **options):
        info = seed_demo(members=members, sample=sample, responses=responses)
        demo_coding(info.poll)
        page = demo_result_page(info.poll)
        site = settings.SITE_URL
        lines = [
            "",
            "Medlemsröst demo",
            f"  Staff login:   {site}{reverse('login')}",
        ]
        lines += [f"      {u} / {p}  ({g})" for u, p, g, _su in STAFF]
        required = ", ".join(settings.STAFF_2FA_REQUIRED_ROLES)
        lines += [
            f"  Two-factor:    {site}{reverse('two-factor')}  "
            + (
                f"(required for {required}: set up at the first login)"
                if required
                else "(optional: STAFF_2FA_REQUIRED_ROLES is empty)"
            )
        ]
        lines += [
            f"  Results:       {site}{reverse('poll-results', args=[info.poll.slug])}"
            f"  ({info.responses} responses)",
            f"  Result page:   {site}{reverse('result-page-public', args=[page.slug])}",
            f"  Member link:   {info.member_link}",
            "                (personal and unused: open it to answer the poll as a member)",
            f"  Studio:        {site}{reverse('studio-polls')}",
            f"  Registers:     {site}{reverse('register-list')}",
            f"  Coding:        {site}{reverse('coding-home', args=[info.poll.slug])}",
            f"  Administration: {site}{reverse('admin:index')}",
            "",
        ]
        self.stdout.write("\n".join(lines))
