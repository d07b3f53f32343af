"""Savings pages: the months and their files, the figures, downloads, build.

Finance users see their own trust's files and the alliance's; buyers see
all (DESIGN §7). No request renders a file: building is queued.
"""

import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from orders.views.documents import document_file_response
from reports import dashboard, documents, selectors, services
from reports.models import SavingsDocument
from trusts import selectors as trust_selectors
from trusts.models import Role
from trusts.permissions import role_required

SAVINGS_ROLES = (Role.FINANCE, Role.BUYER)


# htmx gets the months alone at the same address: caches keep the two apart.
@vary_on_headers("HX-Request")
@role_required(*SAVINGS_ROLES)
@require_GET
def savings_list(request):
    """Months with each scope's files and their status; htmx polls while pending."""
    scopes = selectors.savings_scopes_visible_to(request.user)
    months = selectors.savings_months_list(today=timezone.localdate())
    files = {}
    for document in selectors.savings_documents_visible_to(request.user).filter(
        month__in=months
    ):
        files.setdefault((document.month, document.trust_id), []).append(document)
    rows = [
        {
            "month": month,
            "cells": [
                {
                    "scope": scope,
                    "code": scope.code if scope else selectors.ALLIANCE,
                    "documents": sorted(
                        files.get((month, scope.pk if scope else None), []),
                        key=lambda document: document.format,
                    ),
                }
                for scope in scopes
            ],
        }
        for month in months
    ]
    context = {
        "scopes": scopes,
        "rows": rows,
        "any_pending": any(
            document.is_pending for group in files.values() for document in group
        ),
    }
    template = (
        "reports/partials/_savings_months.html"
        if request.htmx
        else "reports/savings_list.html"
    )
    return render(request, template, context)


@role_required(*SAVINGS_ROLES)
@require_GET
def savings_detail(request, month):
    """A month's figures on screen for one scope (``?scope=WMAS``; alliance)."""
    scopes = selectors.savings_scopes_visible_to(request.user)
    scope = selectors.savings_scope_get(
        request.user, request.GET.get("scope", selectors.ALLIANCE)
    )
    month = selectors.month_start(month)
    state = selectors.savings_state()
    summary = dataclasses.replace(
        dashboard.savings_summary_kept(trust=scope, month=month, state=state),
        # The year's history, shared with the home pages' chart.
        history=dashboard.savings_history_kept(trust=scope, month=month, state=state),
    )
    return render(
        request,
        "reports/savings_detail.html",
        {
            "summary": summary,
            "chart": documents.savings_chart_svg(summary),
            "scopes": [
                {
                    "code": item.code if item else selectors.ALLIANCE,
                    "name": item.name if item else "Alliance-wide",
                    "current": item == scope,
                }
                for item in scopes
            ],
        },
    )


@role_required(*SAVINGS_ROLES)
@require_POST
def savings_build(request, month):
    """Build (or rebuild) a month's files for every scope the user sees."""
    scopes = selectors.savings_scopes_visible_to(request.user)
    services.savings_documents_request(month=month, trusts=scopes, actor=request.user)
    messages.success(request, f"The savings files for {month:%B %Y} are being built.")
    return redirect("reports:savings-list")


@role_required(*SAVINGS_ROLES)
@require_GET
def savings_download(request, month, scope: str, file_format: str):
    """One savings file; 202 while it is being built, 404 if not visible."""
    if file_format not in SavingsDocument.Format.values:
        raise Http404
    document = selectors.savings_document_get(
        request.user, month=month, code=scope, file_format=file_format
    )
    return document_file_response(
        request,
        document,
        filename=services.savings_document_filename(document),
        content_type=documents.CONTENT_TYPES[file_format],
        on_download=lambda: services.savings_document_downloaded(
            actor=request.user, document=document
        ),
    )


@login_required
@require_GET
def home(request):
    """Each role's panel of what needs doing; a user with several roles sees
    each of theirs (DESIGN §1)."""
    membership = trust_selectors.membership_get(request.user)
    roles = membership.roles if membership else []
    today = timezone.localdate()
    panels = {
        Role.REQUISITIONER: lambda: dashboard.requisitioner_panel(request.user),
        Role.APPROVER: lambda: dashboard.approver_panel(request.user),
        Role.BUYER: lambda: dashboard.buyer_panel(request.user, today=today),
        Role.FINANCE: lambda: dashboard.finance_panel(request.user, today=today),
        Role.CONTRACT_MANAGER: lambda: dashboard.contract_manager_panel(today=today),
    }
    context = {
        "panels": [
            {"role": role, "template": f"reports/partials/_home_{role}.html", **build()}
            for role, build in panels.items()
            if role in roles
        ],
        "role_labels": [Role(role).label for role in roles],
    }
    return render(request, "reports/home.html", context)
