"""Files on S3-compatible object storage (``AWS_STORAGE_BUCKET_NAME``,
``AWS_S3_ENDPOINT_URL``, docs/scaling.md), against moto's S3 server on a
free port: what settings.py builds from those variables, used by a real
Celery worker and by the web side alike.

- A worker builds an order's PDFs into the bucket; nothing lands on the
  local disk; the web side streams each back byte for byte; a rebuild
  replaces every object and leaves none of the old ones behind.
- A contract manager's price list upload is kept in the bucket, previewed
  from it and applied from it.
"""

import hashlib
import io
import os
import uuid
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer
from pypdf import PdfReader

from orders.models import OrderDocument
from orders.services import documents as order_services
from suppliers import services as supplier_services
from suppliers.models import ContractItem, ImportBatch
from tests.factories import ContractFactory, ItemFactory
from tests.integration.conftest import (
    free_port,
    settings_from_environment,
    wait_for,
)
from tests.orders.builders_documents import build_order, build_trusts, quick_user

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REGION = "eu-west-2"
PRICE_LIST = (
    "sku,supplier_code,min_quantity,unit_price,minimum_order_quantity,order_multiple\n"
    "S3-001,G1,1,8.50,1,1\n"
    "S3-001,G1,100,8.0000,1,1\n"
)


class Bucket:
    """A bucket on moto's server, read with its own client."""

    def __init__(self, name: str, environment: dict[str, str]):
        self.name = name
        self.environment = environment
        self.client = boto3.client(
            "s3",
            endpoint_url=environment["AWS_S3_ENDPOINT_URL"],
            region_name=REGION,
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        )

    def keys(self, prefix: str = "") -> set[str]:
        listed = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return {entry["Key"] for entry in listed.get("Contents", [])}

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def bucket():
    """An empty bucket on moto's S3 server, on a free port of its own.
    (moto keeps every server's buckets in this process: each test has its own.)"""
    bucket_name = f"alliance-media-{uuid.uuid4().hex[:12]}"
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    environment = {
        "AWS_STORAGE_BUCKET_NAME": bucket_name,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": "test-access-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    }
    bucket = Bucket(bucket_name, environment)
    bucket.client.create_bucket(
        Bucket=bucket_name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    yield bucket
    server.stop()


@pytest.fixture
def on_s3(bucket, settings, monkeypatch):
    """This process's default storage as settings.py makes it from the
    bucket's environment."""
    fresh = settings_from_environment(monkeypatch, **bucket.environment)
    assert fresh.STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": fresh.STORAGES["default"]}
    return bucket


def _local_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def _built(order, *, since=None):
    documents = list(OrderDocument.objects.filter(order=order))
    return documents and all(
        document.is_ready and (since is None or document.built_at > since)
        for document in documents
    )


def test_worker_keeps_order_documents_in_the_bucket(on_s3, worker_on, settings, client):
    """A worker's PDFs go to the bucket and nowhere else, the pages stream
    them back unchanged, and a rebuild leaves no stale object behind."""
    bucket = on_s3
    broker = os.environ["CELERY_BROKER_URL"]
    redis.Redis.from_url(broker).flushdb()
    worker = worker_on(broker=broker, **bucket.environment)
    order = build_order(trusts=build_trusts(), lines=4)
    order_services.order_documents_rebuild(order_id=order.pk)
    wait_for(lambda: _built(order), timeout=180, worker=worker, what="the documents")

    documents = list(OrderDocument.objects.filter(order=order))
    assert len(documents) == 4  # the consolidated document and three shares
    first_keys = bucket.keys()
    assert first_keys == {document.file.name for document in documents}
    assert _local_files(settings) == []
    for document in documents:
        body = bucket.body(document.file.name)
        assert hashlib.sha256(body).hexdigest() == document.checksum
        assert order.number in PdfReader(io.BytesIO(body)).pages[0].extract_text()

    # The web side streams the stored object back, byte for byte.
    consolidated = next(d for d in documents if d.kind == "consolidated")
    client.force_login(quick_user(is_buyer=True))
    response = client.get(reverse("orders:order-pdf", args=[order.number]))
    assert response.status_code == 200
    stored = bucket.body(consolidated.file.name)
    assert b"".join(response.streaming_content) == stored

    # A rebuild replaces every object; the old ones are deleted.
    built_at = max(document.built_at for document in documents)
    order_services.order_documents_rebuild(order_id=order.pk)
    wait_for(
        lambda: _built(order, since=built_at),
        timeout=180,
        worker=worker,
        what="the rebuilt documents",
    )
    rebuilt = {
        document.file.name for document in OrderDocument.objects.filter(order=order)
    }
    assert rebuilt.isdisjoint(first_keys)
    assert bucket.keys() == rebuilt
    assert _local_files(settings) == []


def test_price_list_upload_is_kept_previewed_and_applied_from_the_bucket(
    on_s3, settings
):
    """An uploaded price list is kept in the bucket and read back from it
    for the preview and again when it is applied."""
    bucket = on_s3
    manager = quick_user(is_contract_manager=True)
    contract = ContractFactory()
    ItemFactory(sku="S3-001")
    batch = supplier_services.import_batch_upload(
        kind=ImportBatch.Kind.PRICE_LIST,
        upload=SimpleUploadedFile("prices.csv", PRICE_LIST.encode(), "text/csv"),
        created_by=manager,
        contract=contract,
    )
    assert batch.status == ImportBatch.Status.PREVIEWED, batch.errors
    assert (batch.row_count, batch.tier_count) == (2, 2)
    assert bucket.keys("imports/") == {batch.file.name}
    assert bucket.body(batch.file.name) == PRICE_LIST.encode()
    assert _local_files(settings) == []

    applied = supplier_services.import_batch_confirm(batch_id=batch.pk, actor=manager)
    assert applied.status == ImportBatch.Status.APPLIED
    item = ContractItem.objects.get(contract=contract, item__sku="S3-001")
    assert sorted(item.tiers.values_list("min_quantity", "unit_price")) == [
        (1, Decimal("8.5000")),
        (100, Decimal("8.0000")),
    ]
