"""``manage.py seed_demo``: load the demonstration alliance (safe to repeat)."""

from django.core.management.base import BaseCommand

from orders.demo import build


class Command(BaseCommand):
    help = (
        "Create or update the demo trusts, sites, users, catalogue, suppliers, "
        "contracts, fuel indices and history. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            help=(
                "Set every demo user's password to this. Without it, new users "
                "get a generated password (printed once) and others keep theirs."
            ),
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Load the reference data only: no requisitions or orders.",
        )

    def handle(self, *args, password=None, no_history=False, **options):
        result = build.seed_demo(password=password or None, history=not no_history)
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in as:"))
        rows = [("Username", "Organisation", "Roles", "Password")]
        rows += [
            (
                login.username,
                login.organisation,
                ", ".join(login.roles),
                login.password or "(unchanged)",
            )
            for login in result.logins
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(4)]
        for position, row in enumerate(rows):
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
            if position == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        if result.generated_password:
            self.stdout.write(
                self.style.WARNING(
                    "The generated password is shown only this once: note it now."
                )
            )
