"""The REST API's CORS allow-list lets in exactly the browsers that the socket allow-list lets in."""
from urllib.parse import urlsplit

import pytest
from corsheaders.middleware import CorsMiddleware

from config.cors import allowed_origins_and_patterns
from realtime.origin import origin_allowed

ENTRIES = ["localhost", ".erp.example.com", "https://app.partner.org", "http://127.0.0.1:3000",
           "https://legacy.example:443", "*", "ftp://files.example", "bad:port", "https://"]
ORIGINS = [
    "http://localhost", "http://localhost:5173", "https://localhost:8443", "http://localhost.evil.example",
    "https://erp.example.com", "https://staff.erp.example.com:8443", "http://a.b.erp.example.com",
    "https://erp.example.com.evil.example", "https://evilerp.example.com", "https://app.partner.org",
    "http://app.partner.org", "https://app.partner.org:8443", "http://127.0.0.1:3000", "http://127.0.0.1:3001",
    "http://127.0.0.1", "https://legacy.example", "https://legacy.example:8443", "ftp://files.example",
    "https://evil.example", "null", "file://", "http://bad:port",
]


@pytest.mark.parametrize("origin", ORIGINS)
def test_cors_and_the_socket_handshake_agree_on_browser_origins(settings, origin):
    settings.CORS_ALLOWED_ORIGINS, settings.CORS_ALLOWED_ORIGIN_REGEXES = allowed_origins_and_patterns(ENTRIES)

    allowed_by_cors = CorsMiddleware(lambda request: None).origin_found_in_white_lists(origin, urlsplit(origin))

    assert allowed_by_cors == origin_allowed(origin, ENTRIES)


def test_full_origins_are_kept_as_browsers_send_them():
    origins, patterns = allowed_origins_and_patterns(["HTTPS://App.Partner.org:443", "http://127.0.0.1:3000", "*"])
    assert origins == ["https://app.partner.org", "http://127.0.0.1:3000"]
    assert patterns == []
