"""Make the audit trail append only: the database refuses UPDATE and DELETE.

PostgreSQL gets a trigger function raising an exception; SQLite gets triggers
calling RAISE(ABORT). TRUNCATE stays possible for the database owner, which is
what test databases and a full restore use.
"""

from django.db import migrations

MESSAGE = "audit events are append only"

POSTGRESQL_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION trusts_auditevent_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused on trusts_auditevent', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    """,
    """
    CREATE TRIGGER trusts_auditevent_append_only
    BEFORE UPDATE OR DELETE ON trusts_auditevent
    FOR EACH ROW EXECUTE FUNCTION trusts_auditevent_refuse_change();
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS trusts_auditevent_append_only ON trusts_auditevent;",
    "DROP FUNCTION IF EXISTS trusts_auditevent_refuse_change();",
]
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER trusts_auditevent_no_update BEFORE UPDATE ON trusts_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused on trusts_auditevent'); END;
    """,
    f"""
    CREATE TRIGGER trusts_auditevent_no_delete BEFORE DELETE ON trusts_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused on trusts_auditevent'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS trusts_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS trusts_auditevent_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("trusts", "0002_audit_event"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
