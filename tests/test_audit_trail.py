"""The audit trail only grows: an entry, once written, cannot be changed or removed, neither
through the application nor by SQL on PostgreSQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from staff.audit import record
from staff.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


def test_an_action_is_recorded_with_who_what_and_details(django_user_model):
    admin = django_user_model.objects.create_user("anna", is_staff=True)
    entry = record(admin, "sample.draw", "medlemmar-2026", size=600, seed=7)

    stored = AuditEntry.objects.get()
    assert stored == entry
    assert (stored.actor_name, stored.action, stored.target) == (
        "anna",
        "sample.draw",
        "medlemmar-2026",
    )
    assert stored.details == {"size": 600, "seed": 7}


def test_the_system_can_be_the_actor():
    entry = record(None, "invitations.requeue", "arbetsmiljo-2026", queued=12)
    assert entry.actor is None and entry.actor_name == ""
    assert record("beat", "poll.close", "x").actor_name == "beat"


def test_the_application_cannot_change_or_delete_an_entry():
    entry = record(None, "page.publish", "resultat")
    entry.target = "something else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(target="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().target == "resultat"


@pytest.mark.usefixtures("needs_postgres")
def test_postgresql_refuses_update_and_delete_by_sql():
    entry = record(None, "page.publish", "resultat")
    for sql in (
        "UPDATE staff_auditentry SET target = 'x' WHERE id = %s",
        "DELETE FROM staff_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get().target == "resultat"


def test_deleting_a_staff_account_keeps_its_entries(django_user_model):
    editor = django_user_model.objects.create_user("bo", is_staff=True)
    record(editor, "page.publish", "resultat")
    editor.delete()
    assert AuditEntry.objects.get().actor_name == "bo"
