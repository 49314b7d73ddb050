"""PostgreSQL refuses UPDATE and DELETE of audit rows, whoever asks: the application's own
database user included. (On SQLite, the demo's database, the model's guards in Python are
what holds.) TRUNCATE is left to the table's owner: the test runner empties tables with it,
and production runs the application as a role without TRUNCATE (docs/security.md)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION staff_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER staff_auditentry_no_update_delete
    BEFORE UPDATE OR DELETE ON staff_auditentry
    FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS staff_auditentry_no_update_delete ON staff_auditentry;
DROP FUNCTION IF EXISTS staff_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_audit_log")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
