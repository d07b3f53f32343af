"""``address``: Django's ``reverse``, remembered.

A list page links every row to its record's page, and every page's header
links each section: reversing those addresses walked the URLconf's patterns
again on every request (a twentieth of the order list's server time). An
address depends only on the view's name, its arguments, the URLconf and the
script prefix, so the answer for those is kept (the most recent 8,192 per
process) and forgotten when ``ROOT_URLCONF`` changes.
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=8192)
def _reversed(viewname: str, arguments: tuple, urlconf, script_prefix: str) -> str:
    # ``reverse`` reads the same script prefix itself: it is in the key only.
    return reverse(viewname, kwargs=dict(arguments), urlconf=urlconf)


def address(viewname: str, **kwargs) -> str:
    """``reverse(viewname, kwargs=kwargs)``; raises ``NoReverseMatch`` as it does."""
    return _reversed(
        viewname,
        tuple(sorted(kwargs.items())),
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
    )


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
