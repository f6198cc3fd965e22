"""Reading back the text of a PDF the hub made, without a PDF library.

fpdf2 writes each page's content as a FlateDecode stream of PDF operators, and Helvetica text
as literal strings shown by `Tj`. Inflating the streams and collecting those strings gives the
words on each page in drawing order, which is all a test needs to check what a reader sees.
"""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"/Length (\d+)[^>]*>>\s*stream\r?\n", re.DOTALL)
_SHOWN = re.compile(rb"\((?P<text>(?:\\.|[^\\)])*)\)\s*Tj", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def page_texts(pdf: bytes) -> list[str]:
    """The text shown on each page, one string per page (lines joined by newlines)."""
    assert pdf.startswith(b"%PDF-"), "not a PDF"
    assert pdf.rstrip().endswith(b"%%EOF"), "a truncated PDF"
    pages = []
    for content in _streams(pdf):
        shown = [_unescape(m.group("text")) for m in _SHOWN.finditer(content)]
        if shown:
            pages.append("\n".join(shown))
    return pages


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))


def _streams(pdf: bytes) -> list[bytes]:
    found = []
    for match in _STREAM.finditer(pdf):
        start = match.end()
        raw = pdf[start : start + int(match.group(1))]
        header = pdf[pdf.rfind(b"<<", 0, match.start()) : match.end()]
        if b"FlateDecode" in header:
            try:
                raw = zlib.decompress(raw)
            except zlib.error:
                continue  # an image or font stream, not page content
        found.append(raw)
    return found


def _unescape(text: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(text):
        byte = text[i : i + 1]
        if byte == b"\\" and i + 1 < len(text):
            nxt = text[i + 1 : i + 2]
            octal = re.match(rb"[0-7]{1,3}", text[i + 1 : i + 4])
            if octal:
                out += bytes([int(octal.group(), 8)])
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += byte
        i += 1
    return out.decode("latin-1")
