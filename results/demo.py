"""The demo's coding of open answers, as an editor would have done it: codes, and each answer
given the codes whose keywords it mentions."""

from polls.models import Poll, Question

from .coding import code_create, codes_assign, text_answers

DEMO_CODES = [
    ("Mer tid för klienterna", "More time for clients", ["tid för", "tid för varje"]),
    ("Färre ärenden", "Fewer cases", ["ärenden"]),
    ("Minskad administration", "Less administration", ["administration", "dokumentation"]),
    ("Stabil bemanning", "Stable staffing", ["bemanning", "kollegor"]),
    ("Handledning och kompetensutveckling", "Supervision and training", ["handledning"]),
]


def demo_coding(poll: Poll) -> int:
    """Code the demo poll's open answers once; returns how many codings were made."""
    made = 0
    for question in poll.questions.filter(kind=Question.Kind.TEXT):
        if question.answer_codes.exists():
            continue
        answers = list(text_answers(question).values_list("pk", "text"))
        for label_sv, label_en, keywords in DEMO_CODES:
            code = code_create(question=question, label_sv=label_sv, label_en=label_en)
            ids = [pk for pk, text in answers if any(k in (text or "").lower() for k in keywords)]
            if ids:
                made += codes_assign(code=code, answer_ids=ids)
    return made
