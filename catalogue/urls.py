from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("", views.ItemListView.as_view(), name="item-list"),
    path("<str:sku>/", views.ItemDetailView.as_view(), name="item-detail"),
]
