"""Content sniffing without a server: what real files look like must pass, active content must not."""
from __future__ import annotations

import random

import pytest

from chat import uploads
from core.errors import ValidationFailed

JPEG_HEADER = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00"
XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description/></rdf:RDF>'
       b'</x:xmpmeta><?xpacket end="w"?>')


def test_compressed_image_data_is_not_mistaken_for_markup():
    # Image bodies are close to random bytes; 8 MiB of them must not look like HTML by chance.
    body = random.Random(5).randbytes(8 * 1024 * 1024)

    assert uploads.sniff(JPEG_HEADER + XMP + body).mime == "image/jpeg"


@pytest.mark.parametrize("markup", [b"<script>", b"<SVG ", b"< iframe src=x>", b"<!DocType html>", b"JavaScript:x",
                                    b"<body/onload=x>", b"<?php echo 1; ?>"])
def test_markup_anywhere_is_refused(markup):
    with pytest.raises(ValidationFailed):
        uploads.sniff(JPEG_HEADER + b"\x00" * 5000 + markup)


@pytest.mark.parametrize("name", ["report.pdf", "photo (1).jpg", "заметки.txt", "写真.png", ".hidden", "a..b.png"])
def test_ordinary_names_are_kept(name):
    assert uploads.check_name(name) == name


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "a\\b", "x\x00.png", "x\n.png", "n" * 256])
def test_bad_names_are_refused(name):
    with pytest.raises(ValidationFailed):
        uploads.check_name(name)
