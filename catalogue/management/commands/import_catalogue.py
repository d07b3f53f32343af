"""``manage.py import_catalogue FILE.csv``: create and update catalogue items."""

from django.core.management.base import BaseCommand, CommandError

from alliance_procurement.csv_import import ImportRejected
from catalogue import services
from trusts import commands


class Command(BaseCommand):
    help = (
        "Create and update catalogue items from a UTF-8 CSV file with the columns "
        "sku,name,category,unit,pack_size,kind,vat_rate,nhs_code,gtin "
        "(and optionally description). All or nothing: any bad row, reported "
        "with its row number (the header is row 1), and nothing is saved."
    )

    def add_arguments(self, parser):
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
                summary = services.catalogue_import(
                    file=file, dry_run=options["dry_run"], actor=actor
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
                f"{prefix}{summary.rows} rows: {summary.created} created, "
                f"{summary.updated} updated, {summary.unchanged} unchanged, "
                f"{summary.removed} removed; "
                f"{summary.categories_created} new categories."
            )
        )
