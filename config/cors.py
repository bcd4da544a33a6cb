"""The REST API's CORS allow-list in django-cors-headers' terms, from entries written like the
socket Origin allow-list (realtime/origin.py), so that the same browsers get in both ways:

- a full origin (`https://erp.example.com`, `http://localhost:3000`) allows exactly that origin;
- a host pattern as in `ALLOWED_HOSTS` (`erp.example.com`, or `.example.com` for the domain and
  its subdomains) allows that host on any scheme (http, https) and any port.

A `*` is never honoured, and an entry that can never match a browser's Origin is left out.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def allowed_origins_and_patterns(entries: list[str]) -> tuple[list[str], list[re.Pattern]]:
    """(`CORS_ALLOWED_ORIGINS`, `CORS_ALLOWED_ORIGIN_REGEXES`) for the allow-list `entries`."""
    origins: list[str] = []
    patterns: list[re.Pattern] = []
    for entry in (entry.strip().lower() for entry in entries):
        if "://" in entry:
            origin = _serialised_origin(entry)
            if origin is not None:
                origins.append(origin)
        elif entry and entry != "*" and ":" not in entry and "/" not in entry:
            patterns.append(_host_pattern(entry))
    return origins, patterns


def _serialised_origin(entry: str) -> str | None:
    """The origin as a browser sends it: scheme and host, and the port only when not the default."""
    try:
        parts = urlsplit(entry)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    shown_port = f":{port}" if port and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{parts.hostname}{shown_port}"


def _host_pattern(host: str) -> re.Pattern:
    if host.startswith("."):
        host_regex = r"(?:[^/:@]+\.)?" + re.escape(host[1:])
    else:
        host_regex = re.escape(host)
    return re.compile(rf"^https?://{host_regex}(?::\d+)?$", re.IGNORECASE)
