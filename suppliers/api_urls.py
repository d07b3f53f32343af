from django.urls import path

from suppliers import api

app_name = "suppliers-api"

urlpatterns = [
    path("items/", api.ItemListCreateApi.as_view(), name="item-list"),
    path("suppliers/", api.SupplierListCreateApi.as_view(), name="supplier-list"),
    path("contracts/", api.ContractListCreateApi.as_view(), name="contract-list"),
    path(
        "contracts/<path:reference>/",
        api.ContractDetailApi.as_view(),
        name="contract-detail",
    ),
    path(
        "fuel-indices/<path:name>/prices/",
        api.FuelIndexPriceCreateApi.as_view(),
        name="fuel-index-price-create",
    ),
]
