from django.urls import path  # noqa: F401 -- the sections below add their patterns

app_name = "orders"

urlpatterns: list = []

# --- Requisitions ------------------------------------------------------------

# --- Pooling rounds, joint purchase orders, receipts ---------------------------

# --- Order documents -----------------------------------------------------------
