"""The PDF renderer's URL fetcher serves only our static files (STYLE §7)."""

from unittest import mock

import pytest

from orders import documents


@pytest.fixture
def fetcher():
    return documents.StaticFilesURLFetcher()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/secret.css",
        "https://example.com/font.ttf",
        "file:///etc/passwd",
        "file://localhost/etc/hostname",
        "ftp://example.com/x.css",
        "data:text/css,body{}",
        "/static/css/pdf.css",
    ],
)
def test_fetcher_refuses_network_and_files(fetcher, url):
    """Network, file:// and every other scheme are refused with an error."""
    with pytest.raises(ValueError, match="static"):
        fetcher(url)


@pytest.mark.parametrize(
    "url",
    [
        "appstatic:../alliance_procurement/settings.py",
        "appstatic:../../etc/passwd",
        "appstatic:/etc/passwd",
        "appstatic:css/../../manage.py",
        "appstatic:css/missing.css",
    ],
)
def test_fetcher_refuses_paths_outside_static_files(fetcher, url):
    """A path that leaves the static directories, or is not there, is refused."""
    with pytest.raises(ValueError, match="static"):
        fetcher(url)


def test_fetcher_serves_static_files(fetcher):
    """A static file is served with its content type."""
    response = fetcher("appstatic:css/pdf.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    font = fetcher("appstatic:fonts/LiberationSans-Regular.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"


def test_render_fetches_every_resource_through_the_fetcher():
    """Rendering asks our fetcher for each resource; remote ones are refused."""
    html = (
        '<html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<link rel="stylesheet" href="appstatic:css/pdf.css"></head>'
        '<body><img src="file:///etc/hostname"><p>Hello</p></body></html>'
    )
    real_fetch = documents.StaticFilesURLFetcher.fetch
    calls, refused = [], []

    def spy(self, url, headers=None):
        calls.append(url)
        try:
            return real_fetch(self, url, headers)
        except ValueError:
            refused.append(url)
            raise

    with (
        mock.patch.object(documents.StaticFilesURLFetcher, "fetch", spy),
        mock.patch("urllib.request.OpenerDirector.open") as network,
    ):
        pdf = documents.render_pdf(html)
    assert pdf.startswith(b"%PDF")
    network.assert_not_called()
    assert "appstatic:css/pdf.css" in calls
    assert set(refused) >= {"http://127.0.0.1:9/x.css", "file:///etc/hostname"}
