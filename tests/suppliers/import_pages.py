"""Drive the import pages as a contract manager would: upload, preview, confirm."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from suppliers.models import ImportBatch


def upload_and_confirm(client, url_name, data, snapshot, **fields):
    """Upload ``data`` to ``url_name``, open the preview and confirm it.

    Checks that no page answers with an error and that the upload alone
    changes nothing ``snapshot()`` sees. Returns the confirmed batch, or
    ``None`` when the upload was refused on its page.
    """
    before = snapshot()
    upload = SimpleUploadedFile("import.csv", data, content_type="text/csv")
    response = client.post(reverse(url_name), {**fields, "file": upload})
    assert response.status_code in (200, 302)
    assert snapshot() == before
    if response.status_code == 200:
        return None
    assert client.get(response["Location"]).status_code == 200
    batch = ImportBatch.objects.order_by("-pk").first()
    confirmed = client.post(
        reverse("suppliers:import-confirm", kwargs={"pk": batch.pk})
    )
    assert confirmed.status_code == 302
    assert client.get(confirmed["Location"]).status_code == 200
    batch.refresh_from_db()
    return batch
