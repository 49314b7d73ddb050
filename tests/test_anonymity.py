"""The invitation knows who; the response knows what; nothing joins them."""

from django.apps import apps
from django.db import connection

from polls.models import Answer, Response

IDENTIFYING = {"polls.invitation", "respondents.member", "respondents.samplemember"}


def reachable_models(model, seen=None):
    """Every model a query can reach from `model` by following foreign keys forwards."""
    seen = seen if seen is not None else set()
    for field in model._meta.get_fields():
        if field.is_relation and (field.many_to_one or field.one_to_one or field.many_to_many):
            if not field.concrete and not field.many_to_many:
                continue  # reverse relations are other tables pointing here
            target = field.related_model
            label = target._meta.label_lower
            if label not in seen:
                seen.add(label)
                reachable_models(target, seen)
    return seen


def test_no_foreign_key_path_leads_from_a_response_to_a_member_or_invitation():
    for model in (Response, Answer):
        assert not reachable_models(model) & IDENTIFYING, model


def test_no_identifying_table_points_at_responses_or_answers():
    for model in apps.get_models():
        if model._meta.label_lower not in IDENTIFYING:
            continue
        targets = {
            f.related_model._meta.label_lower
            for f in model._meta.get_fields()
            if f.is_relation and f.concrete and f.related_model
        }
        assert not targets & {"polls.response", "polls.answer"}, model


def test_the_database_schema_has_no_column_joining_responses_to_people(db):
    with connection.cursor() as cursor:
        for table in (Response._meta.db_table, Answer._meta.db_table):
            columns = {
                c.name for c in connection.introspection.get_table_description(cursor, table)
            }
            assert not {c for c in columns if "member" in c or "invitation" in c or "token" in c}
            relations = connection.introspection.get_relations(cursor, table)
            referenced = {target_table for _col, target_table in relations.values()}
            # Questionnaire tables only: none of them says who answered.
            assert referenced <= {
                "polls_poll",
                "polls_question",
                "polls_option",
                "polls_gridrow",
                "polls_response",
            }


def test_a_response_keeps_the_date_only_and_no_time():
    field = Response._meta.get_field("submitted_on")
    assert field.get_internal_type() == "DateField"
    assert not any(f.get_internal_type() == "DateTimeField" for f in Response._meta.fields)


def test_an_invitation_stores_the_hash_of_its_token_never_the_token():
    from polls.models import Invitation, hash_token

    invitation = Invitation()
    token = invitation.issue_token()
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash
    assert len(token) >= 22  # 128 bits in URL-safe base64
