"""The value that belongs to a label: to its right on the same line, or under it.

Right: the words after the label, skipping separators (":", "#"), up to a column gap or the next label.
Below: the words of the next lines that sit in the label's column (overlapping it horizontally, and closer
to it than to any other label of the same line), for a few lines; a line in between with nothing in the
column is skipped. For header rows of totals tables ("Nettobetrag MwSt-Betrag Endbetrag" over several
rate rows and a sum row) every value down the column is returned, so the caller can take the sum row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from invoices.extraction.layout_document import LayoutDocument, TextLine, Word
from invoices.extraction.layout_labels import LabelHit, labels_find

# A gap wider than this many font sizes ends a value (the next column starts).
COLUMN_GAP_RATIO = 1.6
# Values are looked for at most this many lines below their label.
LINES_BELOW = 4

_SEPARATORS = re.compile(r"^(?:[\s:#=.]|[-\u2013](?![\d€£$¥₹]))+")


@dataclass(frozen=True)
class LabelValue:
    """Printed text found for a label, where it was found, and on which line."""

    text: str
    below: bool
    line: TextLine
    x0: float


def value_right(hit: LabelHit, hits_on_line: list[LabelHit]) -> LabelValue | None:
    """The first phrase right of `hit` on its line (words up to a column gap), skipping separators;
    None when the label ends its line or is directly followed by another label."""
    phrases = phrases_right(hit, hits_on_line)
    return phrases[0] if phrases else None


def phrases_right(hit: LabelHit, hits_on_line: list[LabelHit]) -> list[LabelValue]:
    """Every phrase right of `hit` up to the next label, split at column gaps: "in EUR", "3.800"."""
    line = hit.line
    next_label = min(
        (other.start for other in hits_on_line if other.start >= hit.end), default=len(line.text)
    )
    phrases: list[LabelValue] = []
    pieces: list[str] = []
    previous: Word | None = None
    start_x = line.x0
    for index in range(line.word_index_at(hit.end), len(line.words)):
        word = line.words[index]
        start, end = line.spans[index]
        if start >= next_label:
            break
        text = line.text[max(start, hit.end) : min(end, next_label)]
        if not pieces:
            text = _SEPARATORS.sub("", text)
            if not text:
                previous = word
                continue
        elif previous is not None and word.x0 - previous.x1 > COLUMN_GAP_RATIO * word.size:
            phrases.append(LabelValue(" ".join(pieces).strip(), False, line, start_x))
            pieces = []
        if not pieces:
            start_x = word.x0
        pieces.append(text)
        previous = word
    if pieces:
        phrases.append(LabelValue(" ".join(pieces).strip(), False, line, start_x))
    return phrases


def values_below(hit: LabelHit, hits_on_line: list[LabelHit], document: LayoutDocument) -> list[LabelValue]:
    """Text in the label's column on the following lines of its page, top to bottom, until a gap."""
    page = document.pages[hit.line.page]
    x0, x1 = _column_bounds(hit, hits_on_line)
    found: list[LabelValue] = []
    empty_run = 0
    for line in page.lines[hit.line.index + 1 : hit.line.index + 1 + LINES_BELOW + len(found) * 2]:
        if line.top - hit.line.bottom > (LINES_BELOW + 2 * len(found)) * 1.6 * max(hit.line.size, 6):
            break
        words = _column_phrase(line, x0, x1)
        if not words:
            empty_run += 1
            # A header row of other labels in between owns the values under it.
            if found or empty_run > 2 or labels_find(line):
                break
            continue
        text = " ".join(word.text for word in words)
        found.append(LabelValue(text, True, line, words[0].x0))
    return found


def _column_bounds(hit: LabelHit, hits_on_line: list[LabelHit]) -> tuple[float, float]:
    """The label's horizontal range, widened up to halfway to the words printed left and right of it."""
    label_x0, label_x1 = hit.x0, hit.x1
    words = hit.line.words
    left = max((word.x1 for word in words if word.x1 <= label_x0 + 0.5), default=None)
    right = min((word.x0 for word in words if word.x0 >= label_x1 - 0.5), default=None)
    x0 = label_x0 - 4 if left is None else (left + label_x0) / 2
    x1 = label_x1 + 4 if right is None else (label_x1 + right) / 2
    return x0, x1


def _column_phrase(line: TextLine, x0: float, x1: float) -> list[Word]:
    """The phrase of `line` (words at normal spacing) that overlaps the column [x0, x1] the most: a
    left-aligned value wider than its label is kept whole, and the tail of a phrase that starts in the
    column to the left ("16 September 2024" reaching under "Your order") loses to the column's own value."""
    phrases: list[list[Word]] = []
    for word in line.words:
        if phrases and word.x0 - phrases[-1][-1].x1 <= COLUMN_GAP_RATIO * word.size:
            phrases[-1].append(word)
        else:
            phrases.append([word])
    best: list[Word] = []
    best_overlap = 0.0
    for phrase in phrases:
        overlap = sum(max(0.0, min(word.x1, x1) - max(word.x0, x0)) for word in phrase)
        if overlap > best_overlap:
            best, best_overlap = phrase, overlap
    return best
