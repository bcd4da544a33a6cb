"""Multipart parsing that refuses a path in an upload's name instead of silently cutting it off."""
from __future__ import annotations

import html

from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser, get_encoding  # type: ignore[attr-defined]

from chat.uploads import check_name


class _NameCheckingParser(DjangoMultiPartParser):
    def sanitize_file_name(self, file_name: str) -> str | None:
        # Django unescapes entities before it looks for a path, so "..&#x2f;x" is a path too.
        check_name(html.unescape(file_name))
        return super().sanitize_file_name(file_name)


class UploadParser(MultiPartParser):
    """DRF's multipart parser with Django's file-name sanitising replaced by a clear 400."""

    def parse(self, stream, media_type=None, parser_context=None) -> DataAndFiles:
        request = parser_context["request"]
        meta = {**request.META, "CONTENT_TYPE": media_type}
        encoding = get_encoding(parser_context)
        try:
            data, files = _NameCheckingParser(meta, stream, request.upload_handlers, encoding).parse()
        except MultiPartParserError as error:
            raise ParseError(f"Multipart form parse error - {error}") from error
        return DataAndFiles(data, files)
