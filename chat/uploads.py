"""What an upload really is: its type sniffed from the content, never from its name or the client's
content type, and refused when a browser could run it as a page (docs/rest-api.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass

import filetype
from django.conf import settings

from core.errors import TooLarge, ValidationFailed

MAX_NAME_LENGTH = 255
TEXT_TYPE = "text/plain"
TEXT_EXTENSION = "txt"

# Markup a browser would render or run. Searched in the whole file, because a valid image header
# can be followed by HTML (a polyglot); each pattern is long enough not to occur by chance in
# compressed data. A NUL-free file that starts with "#!" is a script.
ACTIVE_CONTENT = re.compile(
    rb"<\s*(?:script|html|body|head|iframe|frame|frameset|object|embed|applet|meta|link|style|form|svg|math|"
    rb"base|template)[\s/>]|<!doctype|<\?php|javascript:",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SniffedType:
    mime: str
    extension: str

    @property
    def attachment_type(self) -> str:
        family = self.mime.split("/", 1)[0]
        return family if family in {"image", "video", "audio"} else "document"


def check_name(name: str) -> str:
    """The client's file name is kept for display only; a path in it is refused, not silently cut."""
    if not name or name in {".", ".."}:
        raise ValidationFailed("The file needs a name")
    if "/" in name or "\\" in name:
        raise ValidationFailed("The file name must not contain a path")
    if any(not char.isprintable() for char in name):
        raise ValidationFailed("The file name must not contain control characters")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"The file name is longer than {MAX_NAME_LENGTH} characters")
    return name


def check_size(size: int) -> None:
    if size == 0:
        raise ValidationFailed("The file is empty")
    if size > settings.CHAT_ATTACHMENT_MAX_BYTES:
        raise TooLarge(f"The file is larger than {settings.CHAT_ATTACHMENT_MAX_BYTES} bytes")


def check_quota(*, stored: int, size: int) -> None:
    """`stored`: the bytes the uploader's files take already."""
    quota = settings.CHAT_ATTACHMENT_QUOTA_BYTES
    if stored + size > quota:
        raise TooLarge(f"The file would take your uploads past your storage quota of {quota} bytes "
                       f"({stored} bytes used)")


def sniff(content: bytes) -> SniffedType:
    """The allowed type the content really has, or a clear `validation_error`."""
    if ACTIVE_CONTENT.search(content):
        raise ValidationFailed("The file contains HTML, SVG or script content, which is not allowed")
    kind = filetype.guess(content)
    if kind is not None:
        sniffed = SniffedType(mime=kind.mime, extension=kind.extension)
    elif _is_plain_text(content):
        sniffed = SniffedType(mime=TEXT_TYPE, extension=TEXT_EXTENSION)
    else:
        raise ValidationFailed("The file's type could not be recognised from its content")
    if sniffed.mime not in settings.CHAT_ATTACHMENT_ALLOWED_TYPES:
        raise ValidationFailed(f"Files of type {sniffed.mime} are not allowed")
    return sniffed


def _is_plain_text(content: bytes) -> bool:
    if b"\x00" in content or content.startswith(b"#!"):
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
