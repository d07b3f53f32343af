"""The profile page: who you are and your API token."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from trusts import selectors, services


@login_required
@never_cache
def profile(request):
    """The user's profile: whether they hold an API token; create or revoke it.

    A new token is shown once, in the answer to the POST that created it, and
    never again: afterwards the page only says that a token exists.
    """
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            new_token = services.api_token_create(
                user=request.user, request=request
            ).key
        elif action == "revoke":
            if services.api_token_revoke(user=request.user, request=request):
                messages.success(request, _("Your API token is revoked."))
            return redirect("trusts:profile")
    context = {
        "membership": selectors.membership_get(request.user),
        "has_token": new_token is not None or selectors.api_token_exists(request.user),
        "new_token": new_token,
    }
    return render(request, "trusts/profile.html", context)
