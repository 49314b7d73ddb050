"""Every change of a questionnaire's rows gives its poll a new `questionnaire_version`, on
PostgreSQL by triggers, so that no writer (the studio, Django admin, a bulk update, SQL by hand)
can forget it. It replaces a digest of all those rows computed on every member's request. On
SQLite the answering caches are not used (polls.answering.questionnaires)."""

import uuid


from django.db import migrations, models

# (table, how a row names its poll)
TABLES = [
    ("polls_section", "poll"),
    ("polls_question", "poll"),
    ("polls_option", "question"),
    ("polls_gridrow", "question"),
    ("polls_question_condition_options", "question"),
]

FUNCTION = """
CREATE OR REPLACE FUNCTION polls_questionnaire_changed() RETURNS trigger AS $$
DECLARE
    changed record;
    poll bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    IF TG_ARGV[0] = 'poll' THEN
        poll := changed.poll_id;
    ELSE
        SELECT q.poll_id INTO poll FROM polls_question q WHERE q.id = changed.question_id;
    END IF;
    UPDATE polls_poll SET questionnaire_version = gen_random_uuid() WHERE id = poll;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table, via in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_questionnaire_changed"
            f" AFTER INSERT OR UPDATE OR DELETE ON {table}"
            f" FOR EACH ROW EXECUTE FUNCTION polls_questionnaire_changed('{via}')"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _via in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_questionnaire_changed ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS polls_questionnaire_changed()")


class Migration(migrations.Migration):

    dependencies = [
        ('polls', '0010_poll_results_url'),
    ]

    operations = [
        migrations.AddField(
            model_name='poll',
            name='questionnaire_version',
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
