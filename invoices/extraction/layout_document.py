"""The text layer as positioned words grouped into lines: the one model the layout extractor reads.

Built from pdfplumber's words in a single pass per page. A `TextLine` keeps its printed text, a folded copy
of the same length (see `text.text_fold`) and each word's character span, so a regular expression matched
on the folded text maps back to words and x positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from invoices.extraction.text import text_clean, text_fold

# Characters closer than this fraction of the font size belong to one word.
WORD_GAP_RATIO = 0.16


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    page: int

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class TextLine:
    page: int
    index: int
    words: tuple[Word, ...]
    text: str = field(init=False)
    folded: str = field(init=False)
    spans: tuple[tuple[int, int], ...] = field(init=False)

    def __post_init__(self) -> None:
        spans, offset = [], 0
        for word in self.words:
            spans.append((offset, offset + len(word.text)))
            offset += len(word.text) + 1
        text = " ".join(word.text for word in self.words)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "folded", text_fold(text))
        object.__setattr__(self, "spans", tuple(spans))

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return max(word.x1 for word in self.words)

    @property
    def size(self) -> float:
        return max(word.size for word in self.words)

    def word_index_at(self, offset: int) -> int:
        """Index of the word holding character `offset` (or the next word when `offset` is a space)."""
        for index, (_start, end) in enumerate(self.spans):
            if offset < end:
                return index
        return len(self.words)

    def x_at(self, offset: int, *, end: bool = False) -> float:
        """Approximate x of character `offset` (of the end of the character before it with `end`),
        interpolated inside its word."""
        if end and offset > 0:
            offset -= 1
            index = min(self.word_index_at(offset), len(self.words) - 1)
            word, (start, stop) = self.words[index], self.spans[index]
            return word.x0 + (word.x1 - word.x0) * min(offset + 1 - start, stop - start) / max(
                stop - start, 1
            )
        index = min(self.word_index_at(offset), len(self.words) - 1)
        word, (start, stop) = self.words[index], self.spans[index]
        if offset <= start:
            return word.x0
        return word.x0 + (word.x1 - word.x0) * min(offset - start, stop - start) / max(stop - start, 1)

    def words_between(self, x0: float, x1: float) -> tuple[Word, ...]:
        """Words overlapping the horizontal range [x0, x1]."""
        return tuple(word for word in self.words if word.x1 > x0 and word.x0 < x1)


@dataclass(frozen=True)
class LayoutPage:
    number: int
    width: float
    height: float
    lines: tuple[TextLine, ...]


@dataclass(frozen=True)
class LayoutDocument:
    pages: tuple[LayoutPage, ...]

    @cached_property
    def lines(self) -> tuple[TextLine, ...]:
        return tuple(line for page in self.pages for line in page.lines)

    @property
    def has_text(self) -> bool:
        return any(page.lines for page in self.pages)

    @property
    def unmapped_share(self) -> float:
        """Share of words printed in fonts without a Unicode map, which pdfminer renders as "(cid:12)"."""
        words = [word for line in self.lines for word in line.words]
        return sum("(cid:" in word.text for word in words) / len(words) if words else 0.0


def layout_page_build(number: int, width: float, height: float, raw_words: Iterable[dict]) -> LayoutPage:
    """Group pdfplumber word dicts (with a "size" attribute) into lines, top to bottom, left to right."""
    words = []
    for raw in raw_words:
        text = text_clean(raw["text"])
        if text:
            top, bottom = float(raw["top"]), float(raw["bottom"])
            size = float(raw.get("size") or (bottom - top) or 1.0)
            words.append(Word(text, float(raw["x0"]), float(raw["x1"]), top, bottom, size, number))
    return LayoutPage(number, width, height, _lines_group(number, words))


def _lines_group(page: int, words: Sequence[Word]) -> tuple[TextLine, ...]:
    rows: list[list[Word]] = []
    band_top = band_bottom = 0.0
    for word in sorted(words, key=lambda item: (item.top, item.x0)):
        middle = (word.top + word.bottom) / 2
        if rows and band_top <= middle <= band_bottom:
            rows[-1].append(word)
            band_bottom = max(band_bottom, min(word.bottom, band_top + 1.5 * (word.bottom - word.top)))
            continue
        rows.append([word])
        band_top, band_bottom = word.top, word.bottom
    lines: list[TextLine] = []
    for row in rows:
        ordered = sorted(row, key=lambda item: item.x0)
        lines.append(TextLine(page, len(lines), tuple(_overlaps_drop(ordered))))
    return tuple(lines)


def _overlaps_drop(words: list[Word]) -> list[Word]:
    """Drop words printed twice at the same place (fake bold), which would double every value."""
    kept: list[Word] = []
    for word in words:
        if kept and word.text == kept[-1].text and abs(word.x0 - kept[-1].x0) < 1.0:
            continue
        kept.append(word)
    return kept
