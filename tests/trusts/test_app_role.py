"""``grant_app_role``: what it refuses before granting anything.

The grants themselves are tried on a private cluster, with the demo alliance
loaded and served as the granted role: tests/integration/test_app_role.py.
"""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from trusts import services
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ('app"; DROP TABLE trusts_auditevent; --', "role_name"),
        ("Alliance_App", "role_name"),
        ("", "role_name"),
        (f"no_such_role_{uuid.uuid4().hex[:12]}", "no_role"),
        # The tests connect as postgres: a superuser, and the role running it.
        ("postgres", "role_too_strong"),
    ],
)
def test_a_role_that_cannot_be_the_applications_is_refused(role, code):
    with pytest.raises(ValidationError) as refused:
        services.app_role_grant(role=role)
    assert refused.value.code == code
    assert not AuditEvent.objects.filter(action="trusts.app_role.granted").exists()


def test_the_command_names_what_is_wrong():
    with pytest.raises(CommandError, match="superuser or the role running"):
        call_command("grant_app_role", "postgres")
