"""PDF documents for named recipients: minutes, disclosure packs, executive summaries.

Whatever goes on paper has already been through the gate; this module only lays it out.
Every page carries the handling caveat OFFICIAL-SENSITIVE at the top and the bottom (MAPPA D:
all MAPPA documentation is so marked) and the recipient's name across the page, so that a
copy that turns up where it should not says whose copy it was.

fpdf2's built-in Helvetica keeps the output free of system fonts; it speaks Latin-1, so text
is brought into Latin-1 first (typographic punctuation mapped, anything else replaced) rather
than failing to produce a pack at a meeting.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos

MARKING = "OFFICIAL-SENSITIVE"
_FONT = "Helvetica"
_MARGIN = 18.0  # millimetres; the marking sits in the top and bottom margins
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2022": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\t": " ",
    }
)


@dataclass(frozen=True)
class PackSection:
    heading: str
    paragraphs: list[str]


def render_pdf(*, title: str, recipient: str, sections: list[PackSection]) -> bytes:
    """The document as PDF bytes: title, then each section's heading and paragraphs."""
    if not recipient.strip():
        raise ValueError("a pack needs a named recipient for its watermark")
    document = _MarkedDocument(recipient=latin1(recipient.strip()))
    document.set_title(latin1(title))
    document.set_subject(f"{MARKING}: prepared for {document.recipient}")
    document.set_creator("MAPPA Hub")
    document.add_page()
    document.set_font(_FONT, "B", 16)
    document.multi_cell(0, 8, latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    document.set_font(_FONT, "", 10)
    document.multi_cell(
        0, 5, f"Prepared for: {document.recipient}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    document.ln(4)
    for section in sections:
        document.set_font(_FONT, "B", 12)
        document.multi_cell(0, 6, latin1(section.heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        document.ln(1)
        document.set_font(_FONT, "", 10)
        for paragraph in section.paragraphs:
            document.multi_cell(0, 5, latin1(paragraph), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            document.ln(2)
        document.ln(3)
    return bytes(document.output())


def latin1(text: str) -> str:
    """`text` in the characters Helvetica can draw, control characters dropped."""
    plain = unicodedata.normalize("NFC", text).translate(_PLAIN)
    kept = "".join(c for c in plain if c == "\n" or unicodedata.category(c)[0] != "C")
    return kept.encode("latin-1", "replace").decode("latin-1")


class _MarkedDocument(FPDF):
    """An A4 document whose every page is marked and watermarked (header() runs per page)."""

    def __init__(self, *, recipient: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.recipient = recipient
        self.set_margins(_MARGIN, _MARGIN + 4, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_MARGIN + 4)
        self.alias_nb_pages()

    def header(self) -> None:
        self._watermark()  # drawn first, so the page's own text lies over it
        self.set_y(8)
        self._marking()
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_y(-14)
        self._marking()
        self.set_font(_FONT, "", 8)
        self.set_text_color(60)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)

    def _marking(self) -> None:
        self.set_font(_FONT, "B", 10)
        self.set_text_color(0)
        self.cell(0, 5, MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def _watermark(self) -> None:
        words = f"Prepared for {self.recipient}"
        size = 40.0
        self.set_font(_FONT, "B", size)
        diagonal = (self.w**2 + self.h**2) ** 0.5 * 0.8
        while size > 10 and self.get_string_width(words) > diagonal:
            size -= 2
            self.set_font(_FONT, "B", size)
        centre_x, centre_y = self.w / 2, self.h / 2
        width = self.get_string_width(words)
        self.set_text_color(215)
        with self.rotation(55, centre_x, centre_y):
            self.text(centre_x - width / 2, centre_y, words)
        self.set_text_color(0)
