"""``manage.py import_price_list CONTRACT_REF FILE.csv``: replace a price list."""

from django.core.management.base import BaseCommand, CommandError

from alliance_procurement.csv_import import ImportRejected
from suppliers import services
from trusts import commands


class Command(BaseCommand):
    help = (
        "Replace a contract's items and price tiers from a UTF-8 CSV file with the "
        "columns sku,supplier_code,min_quantity,unit_price,minimum_order_quantity,"
        "order_multiple (optionally price_basis,fuel_index), one row per tier. "
        "All or nothing: any bad row, reported with its row number (the header "
        "is row 1), and nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("contract", help="The contract reference.")
        parser.add_argument("file", help="The CSV file to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and say what would change, saving nothing.",
        )
        parser.add_argument("--user", metavar="USERNAME", help=commands.IMPORTER_HELP)

    def handle(self, *args, **options):
        actor = commands.contract_manager_of(options["user"])
        if actor is None and not options["dry_run"]:
            self.stderr.write(self.style.WARNING(commands.NO_IMPORTER_WARNING))
        try:
            with open(options["file"], "rb") as file:
                summary = services.price_list_import(
                    contract_reference=options["contract"],
                    file=file,
                    dry_run=options["dry_run"],
                    actor=actor,
                )
        except OSError as exc:
            raise CommandError(
                f"Cannot read {options['file']}: {exc.strerror or exc}"
            ) from exc
        except ImportRejected as exc:
            for error in exc.row_errors:
                self.stderr.write(str(error))
            raise CommandError(exc.messages[0]) from exc
        prefix = "Dry run, nothing saved. " if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{summary.rows} rows for {options['contract']}: "
                f"{summary.created} items created, {summary.updated} updated, "
                f"{summary.removed} removed; {summary.tiers} price tiers."
            )
        )
