"""The 公文 layout (GB/T 9704-2012, 党政机关公文格式) as a python-docx document: every
Word document the bot writes — the late list today, the weekly bulletin (工作简报) and the
通报 next — is built on :class:`OfficialDocument`, so they all print as an office's own.

What the standard fixes and this module does:

- A4 (210 × 297 mm), margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm: a text
  area of 156 × 225 mm; 22 lines a page (exact 28.95 pt line pitch) of 3号 (16 pt) text.
- Fonts: the title 2号 方正小标宋简体, first-level headings 3号 黑体, second-level 3号
  楷体_GB2312, body 3号 仿宋_GB2312, Latin text and digits Times New Roman. Each is declared
  in the font table with the usual fallback (``altName``: 华文中宋, 黑体, 仿宋, 楷体), which
  Word uses where the font is not installed; the language is zh-CN.
- Page numbers 4号 宋体 "— 1 —" under the text area, odd pages to the right and even
  pages to the left, one character in.
- Tables as wide as the text area, fixed column widths, the header row repeated on every
  page, no row split across pages.
- The 落款: the issuing office centred over the date, the date four characters from the
  right margin, in Arabic numerals (2026年6月25日).

Synchronous; python-docx is imported by the caller's worker thread on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from bot.office.sheets import text_width

PAGE = (Mm(210), Mm(297))
MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
TEXT_WIDTH_MM = 156
LINE_PITCH = Pt(28.95)          # 225 mm / 22 lines
BODY_SIZE = Pt(16)              # 3号
TITLE_SIZE = Pt(22)             # 2号
PAGE_NUMBER_SIZE = Pt(14)       # 4号
TABLE_SIZE = Pt(12)             # 小四: a table's cells
LATIN = "Times New Roman"
RED = RGBColor(0xC0, 0x00, 0x00)

# (the font the standard names, the usual fallback where it is not installed)
TITLE_FONT = ("方正小标宋简体", "华文中宋")
HEI = ("黑体", "SimHei")
KAI = ("楷体_GB2312", "楷体")
FANGSONG = ("仿宋_GB2312", "仿宋")
SONG = ("宋体", "SimSun")
FONTS = (TITLE_FONT, HEI, KAI, FANGSONG, SONG)
GB2312 = "86"

STYLES = {       # style name -> (font, size, bold)
    "GW Title": (TITLE_FONT, TITLE_SIZE, False),
    "GW Heading 1": (HEI, BODY_SIZE, False),
    "GW Heading 2": (KAI, BODY_SIZE, False),
    "GW Body": (FANGSONG, BODY_SIZE, False),
    "GW Signature": (FANGSONG, BODY_SIZE, False),
    "GW Table": (FANGSONG, TABLE_SIZE, False),
    "GW Table Header": (HEI, TABLE_SIZE, False),
    "GW Page Number": (SONG, PAGE_NUMBER_SIZE, False),
    "GW Masthead": (TITLE_FONT, Pt(36), False),
}
CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(number: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 23 -> 二十三 (headings: 一、二、…; up to 99)."""
    tens, ones = divmod(number, 10)
    if number < 10:
        return CHINESE_DIGITS[number]
    return (CHINESE_DIGITS[tens] if tens > 1 else "") + "十" + (CHINESE_DIGITS[ones]
                                                                if ones else "")


def _fonts(element, font: tuple[str, str]) -> None:
    """Set a run's (or a style's) fonts: the CJK one and Times New Roman for Latin text."""
    r_pr = element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:cs"), LATIN)
    fonts.set(qn("w:eastAsia"), font[0])
    fonts.set(qn("w:hint"), "eastAsia")


class OfficialDocument:
    """A 公文 being written, paragraph by paragraph. Build on it: ``masthead`` (版头, for a
    通报 or a 简报), ``title``, ``subtitle``, ``heading``, ``paragraph``, ``table``,
    ``picture``, ``signature``, then ``save``."""

    def __init__(self) -> None:
        self.document = Document()
        self._table_end = None
        self._page()
        self._styles()
        self._font_table()
        self._page_numbers()

    # -- setup

    def _page(self) -> None:
        section = self.document.sections[0]
        section.page_width, section.page_height = PAGE
        section.top_margin = MARGINS["top"]
        section.bottom_margin = MARGINS["bottom"]
        section.left_margin = MARGINS["left"]
        section.right_margin = MARGINS["right"]
        section.header_distance = Mm(15)
        section.footer_distance = Mm(21)
        section.start_type = WD_SECTION.NEW_PAGE

    def _styles(self) -> None:
        styles = self.document.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        for old in r_pr.findall(qn("w:rFonts")) + r_pr.findall(qn("w:lang")):
            r_pr.remove(old)
        r_pr.insert(0, parse_xml(
            f'<w:rFonts {nsdecls("w")} w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:cs="{LATIN}" '
            f'w:eastAsia="{FANGSONG[0]}" w:hint="eastAsia"/>'))
        r_pr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="zh-CN" w:eastAsia="zh-CN" '
                              f'w:bidi="ar-SA"/>'))
        paragraph_defaults = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
        for old in paragraph_defaults.findall(qn("w:spacing")):
            paragraph_defaults.remove(old)
        paragraph_defaults.append(parse_xml(
            f'<w:spacing {nsdecls("w")} w:before="0" w:after="0"/>'))
        normal = styles["Normal"]
        normal.font.size = BODY_SIZE
        _fonts(normal.element, FANGSONG)
        for name, (font, size, bold) in STYLES.items():
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            style.font.size = size
            style.font.bold = bold
            _fonts(style.element, font)
            layout = style.paragraph_format
            layout.space_before = Pt(0)
            layout.space_after = Pt(0)
            layout.widow_control = True
            if name.startswith("GW Table"):
                layout.line_spacing_rule = WD_LINE_SPACING.SINGLE
            else:
                layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
                layout.line_spacing = LINE_PITCH
        styles["GW Body"].paragraph_format.first_line_indent = Pt(BODY_SIZE.pt * 2)
        for name in ("GW Title", "GW Masthead"):
            styles[name].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
            styles[name].paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            styles[name].paragraph_format.keep_with_next = True
        styles["GW Title"].paragraph_format.space_after = LINE_PITCH
        styles["GW Masthead"].font.color.rgb = RED
        for level, name in ((0, "GW Heading 1"), (1, "GW Heading 2")):
            styles[name].paragraph_format.keep_with_next = True
            styles[name].paragraph_format.first_line_indent = Pt(BODY_SIZE.pt * 2)
            p_pr = styles[name].element.get_or_add_pPr()
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(level))
            p_pr.append(outline)
        styles["GW Table Header"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _font_table(self) -> None:
        """Declare each font with its fallback (``w:altName``) and the GB2312 charset."""
        part = next(rel.target_part for rel in self.document.part.rels.values()
                    if rel.reltype.endswith("/fontTable"))
        table = parse_xml(part.blob)
        for name, alternative in FONTS:
            font = parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alternative}"/>'
                f'<w:charset w:val="{GB2312}"/><w:family w:val="auto"/>'
                f'<w:pitch w:val="variable"/></w:font>')
            table.append(font)
        part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8",
                                    standalone=True)    # a plain part: its bytes are written

    def _page_numbers(self) -> None:
        """"— 1 —": odd pages at the right, even pages at the left, one character in."""
        self.document.settings.odd_and_even_pages_header_footer = True
        section = self.document.sections[0]
        for footer, alignment, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT,
                                         "left")):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.style = self.document.styles["GW Page Number"]
            paragraph.alignment = alignment
            indent = Pt(PAGE_NUMBER_SIZE.pt)
            if side == "right":
                paragraph.paragraph_format.right_indent = indent
            else:
                paragraph.paragraph_format.left_indent = indent
            paragraph.add_run("— ")
            self._field(paragraph, "PAGE")
            paragraph.add_run(" —")

    @staticmethod
    def _field(paragraph, instruction: str) -> None:
        run = paragraph.add_run()
        for kind, text in (("begin", None), ("instr", instruction), ("separate", None),
                           ("result", "1"), ("end", None)):
            if kind == "instr":
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = f" {text} "
            elif kind == "result":
                element = OxmlElement("w:t")
                element.text = text
            else:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
            run._r.append(element)

    # -- content

    def masthead(self, issuer: str, number: str | None = None) -> None:
        """版头: the issuer's name in red, the document number (发文字号) under it, and the
        red line across the text area."""
        self.document.add_paragraph(issuer, style="GW Masthead")
        line = self.document.add_paragraph(number or "", style="GW Body")
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.paragraph_format.first_line_indent = Pt(0)
        line.paragraph_format.space_after = LINE_PITCH
        borders = parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="12" '
                            f'w:space="8" w:color="C00000"/></w:pBdr>')
        line._p.get_or_add_pPr().append(borders)

    def bulletin_masthead(self, name: str, number: str, office: str, dated: str) -> None:
        """A 简报's 版头: its name in red, 第 N 期 under it, then the office at the left and
        the date at the right over the red line."""
        self.document.add_paragraph(name, style="GW Masthead")
        issue = self.document.add_paragraph(number, style="GW Body")
        issue.alignment = WD_ALIGN_PARAGRAPH.CENTER
        issue.paragraph_format.first_line_indent = Pt(0)
        line = self.document.add_paragraph(style="GW Body")
        line.paragraph_format.first_line_indent = Pt(0)
        line.paragraph_format.space_after = LINE_PITCH
        line.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
        line.add_run(f"{office}\t{dated}")
        borders = parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="12" '
                            f'w:space="8" w:color="C00000"/></w:pBdr>')
        line._p.get_or_add_pPr().append(borders)

    def title(self, text: str) -> None:
        self.document.add_paragraph(text, style="GW Title")

    def subtitle(self, text: str) -> None:
        """A line under the title (a date, a period), 楷体, centred."""
        paragraph = self.document.add_paragraph(text, style="GW Heading 2")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Pt(0)

    def heading(self, text: str, level: int = 1) -> None:
        """一、… in 黑体 (level 1) or （一）… in 楷体 (level 2); the caller numbers it
        (:func:`chinese_number`)."""
        self.document.add_paragraph(text, style=f"GW Heading {level}")

    def paragraph(self, text: str, indent: bool = True) -> None:
        paragraph = self.document.add_paragraph(text, style="GW Body")
        if not indent:
            paragraph.paragraph_format.first_line_indent = Pt(0)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[str]],
              widths_mm: Sequence[float], centred: Iterable[int] = ()) -> None:
        """A table as wide as the text area (``widths_mm`` scaled to it): its header row
        repeated on every page, no row split across pages."""
        scale = TEXT_WIDTH_MM / sum(widths_mm)
        widths = [Mm(width * scale) for width in widths_mm]
        centred = set(centred)
        table = self.document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        table._tbl.tblPr.append(layout)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        self._row(table.rows[0], header, widths, "GW Table Header", set(range(len(header))))
        repeat = OxmlElement("w:tblHeader")
        table.rows[0]._tr.get_or_add_trPr().append(repeat)
        for values in rows:
            self._row(table.add_row(), values, widths, "GW Table", centred)
        spacer = self.document.add_paragraph(style="GW Body")
        spacer.paragraph_format.first_line_indent = Pt(0)
        self._table_end = (table.rows[-1], spacer)

    @staticmethod
    def _row(row, values: Sequence[str], widths, style: str, centred: set[int]) -> None:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for index, (cell, value, width) in enumerate(zip(row.cells, values, widths,
                                                         strict=True)):
            cell.width = width
            paragraph = cell.paragraphs[0]
            paragraph.style = style
            if index in centred:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.add_run(str(value))

    def picture(self, path: Path, width_mm: float = TEXT_WIDTH_MM) -> None:
        """A picture centred in the text area (a bulletin's photos)."""
        paragraph = self.document.add_paragraph(style="GW Body")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.add_run().add_picture(str(path), width=Mm(min(width_mm, TEXT_WIDTH_MM)))

    def signature(self, office: str, dated: str) -> None:
        """落款: a blank line, the office centred over the date (as the catalog writes it:
        2026年6月25日), the date four characters in from the right. Right after a table,
        its last row goes with the 落款 to the next page rather than leave it alone there
        (GB/T 9704 7.3.5)."""
        last_row, spacer = self._table_end or (None, None)
        if spacer is not None and self.document.paragraphs[-1]._p is spacer._p:
            for cell in last_row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
            spacer.paragraph_format.keep_with_next = True
        blank = self.document.add_paragraph(style="GW Signature")
        blank.paragraph_format.keep_with_next = True
        size = BODY_SIZE.pt
        date_chars = text_width(dated) / 2
        office_chars = text_width(office) / 2
        office_indent = max(0.0, 4 + (date_chars - office_chars) / 2)
        for text, indent in ((office, office_indent), (dated, 4.0)):
            paragraph = self.document.add_paragraph(text, style="GW Signature")
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            paragraph.paragraph_format.right_indent = Pt(size * indent)
            paragraph.paragraph_format.keep_with_next = text == office

    def save(self, path: Path) -> None:
        self.document.save(path)
