from django.apps import AppConfig


class TrustsConfig(AppConfig):
    name = "trusts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the audit trail to Django's own sign-in events.
        from trusts import receivers  # noqa: F401
