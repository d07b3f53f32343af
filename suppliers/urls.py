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
]

# Last, so that a fixed path above (such as an import page) is never taken
# for a contract reference.
urlpatterns += [
    path(
        "<str:reference>/",
        views.ContractDetailView.as_view(),
        name="contract-detail",
    ),
]
