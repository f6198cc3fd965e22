"""PDF packs: every page marked OFFICIAL-SENSITIVE at top and bottom, watermarked with the
recipient (issue 8: minutes and disclosure packs as PDF; MAPPA D marking)."""

from __future__ import annotations

import pytest

from hub.packs.pdf import MARKING, PackSection, latin1, render_pdf
from tests.packs.pdf_text import page_count, page_texts


def _pages(pdf: bytes) -> list[list[str]]:
    return [[" ".join(s.split()) for s in text.split("\n")] for text in page_texts(pdf)]


def test_every_page_is_marked_top_and_bottom_and_watermarked_with_the_recipient() -> None:
    long_section = PackSection("Risk management plan", ["Supervision weekly. " * 60] * 12)
    pdf = render_pdf(
        title="Disclosure pack: MAPPA case",
        recipient="Anytown Community Mental Health Team",
        sections=[PackSection("Summary", ["Level 2, category 1."]), long_section],
    )
    pages = _pages(pdf)
    assert page_count(pdf) == len(pages) >= 3
    for number, shown in enumerate(pages, start=1):
        assert shown[0] == "Prepared for Anytown Community Mental Health Team"
        assert shown[1] == MARKING  # header
        footer = " ".join(shown[-3:])
        assert footer.startswith(MARKING)
        assert f"Page {number} of {len(pages)}" in footer


def test_title_recipient_and_sections_appear_in_order() -> None:
    pdf = render_pdf(
        title="Executive summary",
        recipient="A solicitor",
        sections=[
            PackSection("Purpose", ["Why the meeting was held."]),
            PackSection("Decisions", ["Level confirmed.", "Next review set."]),
        ],
    )
    text = "\n".join("\n".join(p) for p in _pages(pdf))
    positions = [
        text.index(words)
        for words in (
            "Executive summary",
            "Prepared for: A solicitor",
            "Purpose",
            "Why the meeting was held.",
            "Decisions",
            "Level confirmed.",
            "Next review set.",
        )
    ]
    assert positions == sorted(positions)


def test_the_watermark_is_drawn_rotated_and_under_the_page_text() -> None:
    import re
    import zlib

    pdf = render_pdf(title="T", recipient="Housing", sections=[])
    stream = re.search(rb"stream\r?\n(.*?)endstream", pdf.split(b"/Type /Page\n", 1)[-1], re.S)
    assert stream is not None
    content = zlib.decompress(stream.group(1).rstrip(b"\r\n"))
    watermark = content.index(b"(Prepared for Housing) Tj")
    assert b" cm" in content[:watermark]  # a rotation matrix set up before it
    assert watermark < content.index(b"(T) Tj")


def test_text_outside_latin1_is_made_printable_not_refused() -> None:
    pdf = render_pdf(
        title="Pack \u2013 \u201cquoted\u201d",
        recipient="Zo\u00eb\u2019s team \u4e2d",
        sections=[PackSection("Notes\u2026", ["Bullet \u2022 item\x07"])],
    )
    text = "\n".join("\n".join(p) for p in _pages(pdf))
    assert 'Pack - "quoted"' in text
    assert "Prepared for Zo\u00eb's team ?" in text
    assert "Notes..." in text
    assert "Bullet - item" in text
    assert latin1("a\tb\x00c") == "a bc"


@pytest.mark.parametrize("recipient", ["", "   "])
def test_a_pack_without_a_named_recipient_is_refused(recipient: str) -> None:
    with pytest.raises(ValueError, match="recipient"):
        render_pdf(title="T", recipient=recipient, sections=[])
