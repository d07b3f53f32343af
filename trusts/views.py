"""Home page: who you are, your organisation and what you can do."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from trusts import selectors

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
