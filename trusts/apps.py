from django.apps import AppConfig


class TrustsConfig(AppConfig):
    name = "trusts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alliance_procurement.choices import cache_choices_of
        from trusts import receivers  # noqa: F401 -- audit of Django's sign-in events
        from trusts.models import Trust

        # Buyers' list filters offer every trust; trusts change a few times a year.
        cache_choices_of(Trust)
