"""A batch's e-mail serialised once; each member's message made from it by byte replacements.

Python's `email` package spends about 0.9 ms building and serialising one multipart message
(folding and encoding every header of every part): most of a worker's time per invitation.
Within a batch the messages of one poll and step differ only in the address, the two links and
the Message-ID, so `Mould` serialises one message, through Django's own
`EmailMultiAlternatives` and as Django's SMTP backend does (so the bytes are what Django would
send), with marks in those places, and `Mould.render` puts each member's values in. When a mark
did not survive serialisation intact (a body with lines long enough to be quoted-printable,
say) or a member's values would need encoding (a non-ASCII address), `render` returns None and
the caller builds that message the usual way.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid, sanitize_address
from django.core.mail.utils import DNS_NAME
from django.utils.html import escape

TO = "mrst-mould-to@mould.invalid"
MESSAGE_ID = "<mrst-mould-message-id@mould.invalid>"
LINK = "MRSTMOULDLINK"
OPT_OUT = "MRSTMOULDOPTOUT"
MARKS = (TO, MESSAGE_ID, LINK, OPT_OUT)

# make(email=, link=, opt_out=): one member's message, made the usual way.
MessageFactory = Callable[..., EmailMultiAlternatives]


def _marks_in(message: EmailMultiAlternatives) -> dict[str, int]:
    """How often each mark stands in the message's headers and parts, before serialising."""
    texts = [message.body, *(str(content) for content, _mime in message.alternatives)]
    texts += [", ".join(message.to), *(str(v) for v in message.extra_headers.values())]
    return {mark: sum(text.count(mark) for text in texts) for mark in MARKS}


class Mould:
    def __init__(self, make: MessageFactory) -> None:
        prototype = make(email=TO, link=LINK, opt_out=OPT_OUT)
        prototype.extra_headers["Message-ID"] = MESSAGE_ID
        self.from_email = sanitize_address(prototype.from_email, prototype.encoding or "utf-8")
        raw = prototype.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        expected = _marks_in(prototype)
        intact = all(raw.count(mark.encode()) == n for mark, n in expected.items())
        self._pieces: list[bytes | str] | None = _cut(raw) if intact else None

    def render(self, *, email: str, link: str, opt_out: str) -> bytes | None:
        """One member's message as bytes for SMTP's DATA, or None when it has to be built the
        usual way."""
        if self._pieces is None:
            return None
        values = (email, link, opt_out)
        if not all(v.isascii() and escape(v) == v and v.isprintable() for v in values):
            return None
        by_mark = {
            TO: email.encode(),
            MESSAGE_ID: make_msgid(domain=DNS_NAME).encode(),
            LINK: link.encode(),
            OPT_OUT: opt_out.encode(),
        }
        return b"".join(
            by_mark[piece] if isinstance(piece, str) else piece for piece in self._pieces
        )


def _cut(raw: bytes) -> list[bytes | str]:
    """`raw` cut at every mark; the marks stay in the list as str, the rest as bytes."""
    pieces: list[bytes | str] = [raw]
    for mark in MARKS:
        cut: list[bytes | str] = []
        for piece in pieces:
            if isinstance(piece, str):
                cut.append(piece)
                continue
            for index, part in enumerate(piece.split(mark.encode())):
                if index:
                    cut.append(mark)
                cut.append(part)
        pieces = cut
    return pieces
