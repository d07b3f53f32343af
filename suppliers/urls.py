from django.urls import path

from suppliers import views

app_name = "suppliers"

urlpatterns = [
    path("", views.ContractListView.as_view(), name="contract-list"),
    path(
        "fuel-indices/<int:pk>/",
        views.FuelIndexDetailView.as_view(),
        name="fuel-index-detail",
    ),
    # --- Imports ---
    path("imports/", views.import_list, name="import-list"),
    path("imports/catalogue/", views.import_catalogue, name="import-catalogue"),
    path("imports/price-list/", views.import_price_list, name="import-price-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import-confirm"),
]

# Last, so that a fixed path above (such as an import page) is never taken
# for a contract reference; ``path`` because references may hold slashes
# (``NHS/2026/001``).
urlpatterns += [
    path(
        "<path:reference>/",
        views.ContractDetailView.as_view(),
        name="contract-detail",
    ),
]
