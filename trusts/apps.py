from django.apps import AppConfig


class TrustsConfig(AppConfig):
    name = "trusts"
    default_auto_field = "django.db.models.BigAutoField"
