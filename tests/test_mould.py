"""The invitation e-mail is serialised once per batch and each member's message made from it
(polls/fieldwork/mould.py): members must get exactly the message Django would have built."""

import email
import email.policy
import re

from polls.fieldwork.emails import default_wording, email_template
from polls.fieldwork.mould import Mould
from polls.fieldwork.sending import invitation_batch_send, invitation_message, invitations_create
from polls.models import Invitation, hash_token
from tests.factories import PollFactory
from tests.test_sending import make_sample

LINK = "https://medlemsrost.example.org/s/Qx7-abcDEF_123456789012/"
OPT_OUT = "https://medlemsrost.example.org/o/eyJhbGciOiJIUzI1NiJ9:1tXyZ:abc_DEF-123/"


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def sender(poll, step=0):
    template = email_template(poll, step=step, wording=default_wording())

    def make(*, email, link, opt_out):
        return invitation_message(
            template, email=email, link=link, opt_out=opt_out, reply_to=poll.contact_email
        )

    return make


def test_a_moulded_message_is_the_one_django_would_send(db):
    poll = PollFactory(
        title_sv="Arbetsmiljö för socionomer 2026", organisation="Akademikerförbundet SSR"
    )
    make = sender(poll)
    ours = parsed(Mould(make).render(email="anna.berg@example.se", link=LINK, opt_out=OPT_OUT))
    django = make(email="anna.berg@example.se", link=LINK, opt_out=OPT_OUT).message()
    theirs = parsed(django.as_bytes(linesep="\r\n"))

    for header in (
        "From",
        "To",
        "Subject",
        "Reply-To",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ):
        assert ours[header].strip() == theirs[header].strip(), header  # folded or not
    assert ours["Subject"].strip() == "Akademikerförbundet SSR: Arbetsmiljö för socionomer 2026"
    assert ours["List-Unsubscribe"].strip() == f"<{OPT_OUT}>"
    text, html = (part.get_content() for part in ours.iter_parts())
    their_text, their_html = (part.get_content() for part in theirs.iter_parts())
    assert text == their_text and html == their_html
    assert LINK in text and OPT_OUT in text
    assert f'href="{LINK}"' in html and f'href="{OPT_OUT}"' in html
    assert "slumpmässigt" in text  # the Swedish wording, encoded as Django encodes it


def test_each_moulded_message_has_a_message_id_of_its_own(db):
    mould = Mould(sender(PollFactory()))
    first, second = (
        parsed(mould.render(email=f"m{n}@example.se", link=LINK, opt_out=OPT_OUT))["Message-ID"]
        for n in (1, 2)
    )
    assert first != second and re.fullmatch(r"<.+@.+>", first)


def test_an_address_or_link_that_needs_encoding_is_left_to_django(db):
    mould = Mould(sender(PollFactory()))
    assert mould.render(email="åsa.öberg@exempel.se", link=LINK, opt_out=OPT_OUT) is None
    assert mould.render(email="a@example.se", link=LINK + "?a=1&b=2", opt_out=OPT_OUT) is None
    assert (
        mould.render(email="a@example.se\r\nBcc: x@evil.example", link=LINK, opt_out=OPT_OUT)
        is None
    )


def test_a_reminder_is_moulded_with_its_own_wording(db):
    raw = Mould(sender(PollFactory(), step=1)).render(
        email="a@example.se", link=LINK, opt_out=OPT_OUT
    )
    assert parsed(raw)["Subject"].strip().startswith("Påminnelse")


def test_over_smtp_each_member_gets_their_own_link_and_unsubscribe(smtp_server, settings, db):
    smtp_server.configure_django(settings)
    draw = make_sample(size=12, members=12)
    poll = PollFactory(slug="arbetsmiljo", register=draw.register)
    invitations_create(poll=poll, draw=draw)
    ids = list(Invitation.objects.values_list("id", flat=True))
    assert invitation_batch_send(ids) == 12

    messages = smtp_server.wait_for(12)
    by_address = {m["To"]: m for m in messages}
    assert len(by_address) == 12
    for invitation in Invitation.objects.select_related("sample_member__member"):
        message = by_address[invitation.sample_member.member.email]
        text = message.get_body(("plain",)).get_content()
        token = re.search(r"/s/([\w-]+)/", text).group(1)
        assert hash_token(token) == invitation.token_hash
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        assert unsubscribe in text and "/u/" in unsubscribe
        assert message["From"] == settings.DEFAULT_FROM_EMAIL
