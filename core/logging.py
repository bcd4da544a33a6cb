"""Keeps auth tokens out of every log line, access logs included (docs/websocket-api.md)."""
from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

_TOKEN_PATTERNS = [
    re.compile(r"(?i)(token=)[^&\s\"'#]+"),
    re.compile(r"(?i)((?:Token|Bearer)\s+)[0-9a-z]{20,}"),
]


def redact(text: str) -> str:
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


# Task arguments that carry what people wrote: a message's text, a notification's title, message
# and data. Operators see that they are there and how long they are, never what they say.
PRIVATE_ARGUMENTS = frozenset({"text", "message", "title", "data"})


def without_private_text(value: Any) -> Any:
    """Task arguments as operators may see them (Flower, task events, failure records)."""
    if isinstance(value, dict):
        return {key: _hidden(item) if key in PRIVATE_ARGUMENTS else without_private_text(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_private_text(item) for item in value]
    return value


def _hidden(value: Any) -> str:
    return f"<{len(value)} characters>" if isinstance(value, str) else "<hidden>"


class RedactTokensFilter(logging.Filter):
    """Rewrites the record so that every handler downstream sees the redacted text.

    Tokens are redacted inside the arguments, which keep their shape: formatters such as
    Uvicorn's access log read the arguments themselves (a tuple of client, method, path...).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            # The token is in the format string itself, or spans it and an argument.
            record.msg, record.args = redacted, ()
        return True


def _redacted(arg: object) -> object:
    return redact(arg) if isinstance(arg, str) else arg


def install_everywhere() -> None:
    """Attach the filter to every handler that exists, so third-party loggers are covered too."""
    token_filter = RedactTokensFilter()
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactTokensFilter) for f in handler.filters):
                handler.addFilter(token_filter)


class _Gate:
    """Lets one event per key through every `seconds` and counts the ones it holds back."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held_back: dict[str, int] = {}

    def open(self, key: str) -> int | None:
        """None if held back; otherwise how many were held back since the last one let through."""
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -self.seconds) < self.seconds:
                self._held_back[key] = self._held_back.get(key, 0) + 1
                return None
            self._last[key] = now
            return self._held_back.pop(key, 0)


class Throttled:
    """At most one line per key every `seconds`: an outage is reported, not repeated thousands
    of times (each line says how many were held back since the last one)."""

    def __init__(self, logger: logging.Logger, *, seconds: float) -> None:
        self.logger = logger
        self.gate = _Gate(seconds)

    def warning(self, key: str, message: str, *args: object) -> None:
        held_back = self.gate.open(key)
        if held_back is not None:
            self.logger.warning(message + " (%d similar held back in the last %ss)", *args, held_back, self.gate.seconds)


class ThrottleFilter(logging.Filter):
    """The same for chatty third-party loggers (a connection pool or a channel layer retrying
    every second during an outage): one record per logger and message every `seconds`."""

    def __init__(self, seconds: float = 30.0) -> None:
        super().__init__()
        self.gate = _Gate(seconds)

    def filter(self, record: logging.LogRecord) -> bool:
        held_back = self.gate.open(f"{record.name}:{record.msg}")
        if held_back is None:
            return False
        if held_back:
            record.msg = f"{record.msg} ({held_back} similar held back in the last {self.gate.seconds}s)"
        return True
