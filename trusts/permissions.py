"""Role checks for views: an action a role lacks answers 403 (DESIGN §7)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from trusts import selectors
from trusts.models import Role


def require_role(user, *roles: Role | str) -> None:
    """Raise ``PermissionDenied`` unless the user holds one of ``roles``."""
    if not any(selectors.user_has_role(user, role) for role in roles):
        raise PermissionDenied


def role_required(*roles: Role | str) -> Callable:
    """Decorate a view: signed in, and holding one of ``roles``."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RoleRequiredMixin(LoginRequiredMixin):
    """Class-based views: signed in, and holding one of ``required_roles``."""

    required_roles: tuple[Role | str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.required_roles:
            require_role(request.user, *self.required_roles)
        return super().dispatch(request, *args, **kwargs)
