"""Home and profile pages: who you are, what you can do, your API token."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from trusts import selectors, services

ROLE_ABILITIES = {
    "requisitioner": "Raise, edit and submit your trust's requisitions.",
    "approver": (
        "Approve or reject your trust's requisitions up to your approval limit."
    ),
    "buyer": "Run pooling rounds and issue joint purchase orders for the alliance.",
    "finance": "Read your trust's orders, invoice splits and monthly savings reports.",
    "contract_manager": "Manage suppliers, contracts, price tiers and the catalogue.",
}


@login_required
def home(request):
    membership = selectors.membership_get(request.user)
    abilities = (
        [ROLE_ABILITIES[role] for role in membership.roles] if membership else []
    )
    return render(request, "trusts/home.html", {"abilities": abilities})


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
