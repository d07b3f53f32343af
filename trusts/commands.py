"""What the management commands that change data share: who runs them."""

from django.core.management.base import CommandError

from trusts import selectors
from trusts.models import Role

IMPORTER_HELP = (
    "The contract manager importing (their username): the audit trail records "
    "them as who imported the file. Without it, the event names no person."
)
NO_IMPORTER_WARNING = (
    "No --user given: the audit trail records this import with no person."
)


def contract_manager_of(username: str | None):
    """The active contract manager called ``username``; ``None`` for none given.

    Raises ``CommandError`` for anyone else, so that an import is never
    recorded against a person who may not import on the Imports page.
    """
    if not username:
        return None
    user = selectors.active_user_with_role_get(
        username=username, role=Role.CONTRACT_MANAGER
    )
    if user is None:
        raise CommandError(
            f"{username} is not an active contract manager: only contract "
            "managers import."
        )
    return user
