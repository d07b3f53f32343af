from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "suppliers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alliance_procurement.choices import cache_choices_of
        from suppliers.models import Contract, Supplier

        # Every list filter offers them; they change a few times a year.
        cache_choices_of(Supplier, Contract)
