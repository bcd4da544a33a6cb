"""Keeps auth tokens out of every log line, access logs included (CONTRACT §1)."""
from __future__ import annotations

import logging
import re

_TOKEN_PATTERNS = [
    re.compile(r"(?i)(token=)[^&\s\"'#]+"),
    re.compile(r"(?i)((?:Token|Bearer)\s+)[0-9a-z]{20,}"),
]


def redact(text: str) -> str:
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


class RedactTokensFilter(logging.Filter):
    """Rewrites the record so that every handler downstream sees the redacted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


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
