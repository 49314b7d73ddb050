"""The demo's coding of open answers, as an editor would have done it: codes, and each answer
given the codes whose keywords it mentions."""

from polls.models import Poll, Question

from .coding import code_create, codes_assign, text_answers
from .models import ResultBlock, ResultPage
from .publishing import page_publish, page_snapshot

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


DEMO_PAGE_SLUG = "socionomernas-syn-2026"


def _share(snapshot: dict, block_index: int, label: str) -> str:
    block = snapshot["languages"]["sv"]["blocks"][block_index]
    options = block["parts"][0]["options"] if block.get("parts") else []
    option = next((o for o in options if o["label"] == label), None)
    return option["share_text"].split("\N{NO-BREAK SPACE}")[0] if option else ""


def demo_result_page(poll: Poll) -> ResultPage:
    """A published result page for the demo poll that reads like the seeds' articles: its
    figures are taken from the poll's own results, so the claim checker finds nothing."""
    found = ResultPage.objects.filter(slug=DEMO_PAGE_SLUG).first()
    if found is not None:
        return found
    questions = {q.code: q for q in poll.questions.all()}
    page = ResultPage.objects.create(
        poll=poll,
        slug=DEMO_PAGE_SLUG,
        title="Socionomerna: kvaliteten försämras när kommunerna sparar",
    )
    specs = [
        ("chart", "kvalitet", "sektor" if "sektor" in poll.reporting_variables else ""),
        ("chart", "verklighet", ""),
        ("chart", "kan_utfora", ""),
        ("coded", "vad_kravs", ""),
        ("chart", "atgarder", ""),
        ("trend", "verklighet", ""),
    ]
    order = 0
    for kind, code, by in specs:
        if code in questions:
            ResultBlock.objects.create(
                page=page, order=order, kind=kind, question=questions[code], by=by
            )
            order += 1
    snapshot = page_snapshot(page)
    quality = _share(snapshot, 0, "Ja") if "kvalitet" in questions else ""
    can = _share(snapshot, 2, "Nej") if "kan_utfora" in questions else ""
    page.lead = (
        f"{quality} procent av socionomerna anser att kvaliteten på socialtjänstens arbete "
        "försämras i kommuner med stora underskott i ekonomin."
    )
    page.body = (
        "Medlemsundersökningen visar att de ekonomiska villkoren i kommunerna påverkar det "
        f"sociala arbetet. {can} procent svarar att de inte kan utföra sitt arbete med den "
        "kvalitet de anser nödvändig.\n\n"
        "## Mer tid och färre ärenden\n\n"
        "De som svarade nej fick följdfrågan vad som krävs. De vanligaste svaren handlar om tid "
        "för klienterna, antalet ärenden och administrationen."
    )
    page.save()
    page_publish(page=page)
    return page
