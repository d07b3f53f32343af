"""``manage.py grant_app_role ROLE``: the application's own database role."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from trusts import services


class Command(BaseCommand):
    help = (
        "Run as the database owner after every migrate. Gives ROLE (which must "
        "exist, with LOGIN) what the running application needs: every table to "
        "read and write, and the audit trail only to read and add to. Serve the "
        "application as ROLE, never as the owner: then nothing it runs can "
        "truncate or rewrite the audit trail, or change the schema."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="The PostgreSQL role the application uses.")

    def handle(self, *args, role: str, **options):
        try:
            statements = services.app_role_grant(role=role)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for statement in statements:
            self.stdout.write(statement)
        self.stdout.write(
            self.style.SUCCESS(
                f"{role} may read and write every table, and only read and add to "
                "the audit trail."
            )
        )
