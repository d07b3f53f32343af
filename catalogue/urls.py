from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.ItemListView.as_view(), name="item-list"),
    # ``path``: a SKU may hold a slash (e.g. ``ABC/12``).
    path("<path:sku>/", views.ItemDetailView.as_view(), name="item-detail"),
]
