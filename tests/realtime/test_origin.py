import pytest

from realtime.origin import origin_allowed

ALLOWED = ["localhost", ".erp.example.com", "https://app.partner.org"]


@pytest.mark.parametrize("origin", [
    None,
    "http://localhost:8000",
    "https://localhost",
    "https://erp.example.com",
    "https://staff.erp.example.com:8443",
    "https://app.partner.org",
    "https://app.partner.org:443",
])
def test_listed_origins_and_non_browser_clients_pass(origin):
    assert origin_allowed(origin, ALLOWED)


@pytest.mark.parametrize("origin", [
    "https://evil.example",
    "null",
    "",
    "http://localhost.evil.example",
    "https://erp.example.com.evil.example",
    "https://evilerp.example.com",
    "http://app.partner.org",
    "https://app.partner.org:8443",
    "file://localhost",
    "https://[::1",
])
def test_unlisted_lookalike_and_opaque_origins_are_refused(origin):
    assert not origin_allowed(origin, ALLOWED)


def test_a_wildcard_entry_is_never_honoured():
    assert not origin_allowed("https://evil.example", ["*"])
