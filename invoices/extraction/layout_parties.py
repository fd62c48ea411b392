"""The vendor from the layout: name, tax id and IBAN, and whether the document is a credit memo.

Vendor name, in order of trust:
1. under a seller heading ("Verkäufer", "Seller", "Fournisseur"...), the "Name:" line or else the first
   line that reads like a name (not an id, address, phone or e-mail);
2. a phrase ending in a legal form (GmbH, SARL, B.V., Ltd, Inc...), preferring the top of the first
   page and names printed more than once, and never inside a buyer block ("Bill to", "Käufer"...);
3. the largest text at the top of the first page.

Tax ids and IBANs are found by their shape (country patterns, the IBAN check digits), skipping those
a line marks as the buyer's ("Your VAT number", "Uw BTW nummer").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from invoices.extraction.layout_document import LayoutDocument, TextLine, Word
from invoices.extraction.layout_fields import FieldValue
from invoices.extraction.layout_labels import BUYER, SELLER, TAX_ID, LabelHit
from invoices.extraction.layout_values import COLUMN_GAP_RATIO, values_below

INVOICE = "invoice"
CREDIT_MEMO = "credit_memo"

_LEGAL_FORM = re.compile(
    r"(?<![\w&])(?i:gmbh(?:\s*&\s*co\.?\s*kg)?|mbh|ohg|gbr|e\.\s?k\.|kgaa|sarl|s\.a\.r\.l\.|sasu|eurl|"
    r"b\.\s?v\.|n\.\s?v\.|v\.o\.f\.|bvba|sprl|ltd\.?|limited|llc|l\.l\.c\.|inc\.?|corp\.?|corporation|plc|llp|"
    r"pvt\.?\s*ltd\.?|s\.p\.a\.|s\.r\.l\.|gesmbh|co\.\s?kg)(?![\w])"
    r"|(?<![\w&])(?:AG|KG|UG|SA|SAS|SE|BV|NV|AB|AS|A/S|ApS|Oy|S\.A\.|S\.L\.|Co\.)(?![\w])"
)
_COMPANY_DETAILS = re.compile(
    r"\b(?:tel|phone|fax|iban|bic|ust|vat|tva|btw|hrb|hra|amtsgericht|registered|registre|rcs|siret|siren|kvk"
    r"|geschaftsfuhrer|directeur|capital|www)\b"
)
_ATTENTION = re.compile(r"attn|attention|z\.\s?hd|t\.\s?a\.\s?v|a\s*l'attention")
_NAME_KEY = re.compile(r"^\s*(?:name|firma|company|nom|raison\s*sociale|naam|bedrijf)\s*:\s*", re.IGNORECASE)
_NOT_A_NAME = re.compile(
    r"@|www\.|https?:|\+?\d[\d /-]{6,}|^\s*\d|^\s*(?:gln|nummer|number|id|tel|fax|phone|ust|vat|iban|bic)\b"
    r"|^\s*[\w .-]{1,25}:(?:\s|$)",
    re.IGNORECASE,
)
_PHRASE_SEPARATORS = re.compile(r"\s+[-\u2013|•●·]\s+|\s*[•●|·]\s*|,\s+")
_TITLE_WORDS = re.compile(
    r"^(?:tax\s*)?(?:invoice|rechnung|facture|factuur|credit\s*note|gutschrift|avoir|receipt|quittung|bill)\b"
    r"|payment\s*receipt|kopie|copy|page|seite",
)
_CREDIT_WORDS = re.compile(
    r"(?<![a-z])(?:credit\s*note|credit\s*memo|credit\s*invoice|gutschrift|rechnungskorrektur|stornorechnung"
    r"|facture\s*d'?\s*avoir|avoir|note\s*de\s*credit|creditnota|creditfactuur|credit\s*nota)(?![a-z])"
)
_TITLE_NUMBER = re.compile(r"\s*(?:n[°o]\.?|no\.?|nr\.?|#|number|nummer|numero|num\.?|\d)")
_BUYER_MARKERS = re.compile(
    r"\b(?:your|uw|ihre?|votre|vos|client|kunde|customer|buyer|kaufer|destinataire|acheteur|klant|afnemer)\b"
)
_IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?(?![A-Z0-9])")
_VAT = re.compile(
    r"(?<![A-Z0-9])(?:ATU\d{8}|BE\s?[01]\d{3}[.\s]?\d{3}[.\s]?\d{3}|DE\s?\d{3}\s?\d{3}\s?\d{3}"
    r"|FR\s?[0-9A-Z]{2}\s?\d{3}\s?\d{3}\s?\d{3}|NL\s?\d{9}\s?B\s?\d{2}|GB\s?\d{3}\s?\d{4}\s?\d{2}(?:\s?\d{3})?"
    r"|ES\s?[0-9A-Z]\d{7}[0-9A-Z]|IT\s?\d{11}|LU\s?\d{8}|CHE[-\s]?\d{3}\.?\d{3}\.?\d{3}(?:\s?(?:MWST|TVA|IVA))?"
    r"|DK\s?\d{8}|SE\s?\d{12}|PL\s?\d{10}|AT\s?U\d{8}|IE\s?\d[0-9A-Z+*]\d{5}[A-Z]{1,2}|PT\s?\d{9}|FI\s?\d{8})"
    r"(?![A-Z0-9])"
)
_LOOSE_TAX_ID = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\s?[0-9A-Z]{6,13}(?![A-Z0-9])")
_EIN = re.compile(r"(?<!\d)\d{2}-\d{7}(?!\d)")
_GSTIN = re.compile(r"(?<![A-Z0-9])\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z](?![A-Z0-9])")


@dataclass(frozen=True)
class _Region:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float

    def holds(self, line: TextLine, word: Word | None = None) -> bool:
        x0, x1 = (word.x0, word.x1) if word else (line.x0, line.x1)
        return (
            line.page == self.page and self.top <= line.top <= self.bottom and x1 > self.x0 and x0 < self.x1
        )


def _is_heading(hit: LabelHit) -> bool:
    """A heading stands alone: first in its phrase, followed by a colon, a column gap or nothing."""
    line = hit.line
    index = line.word_index_at(hit.start)
    if index >= len(line.words) or line.spans[index][0] != hit.start:
        return False
    if index > 0:
        previous = line.words[index - 1]
        if (
            previous.text.endswith(":")
            or line.words[index].x0 - previous.x1 < COLUMN_GAP_RATIO * previous.size
        ):
            return False
    after = line.text[hit.end :]
    if not after.strip() or after.lstrip().startswith(":"):
        return True
    last = line.word_index_at(hit.end - 1)
    following = last + 1
    if following >= len(line.words):
        return True
    return line.words[following].x0 - line.words[last].x1 >= COLUMN_GAP_RATIO * line.words[following].size


def buyer_regions_find(
    document: LayoutDocument, hits_by_line: dict[tuple[int, int], list[LabelHit]]
) -> list[_Region]:
    """The blocks under buyer headings ("Bill to", "Käufer", "Factuuradres"): a column some lines deep."""
    regions = []
    for hits in hits_by_line.values():
        for hit in hits:
            if hit.field == BUYER and _is_heading(hit):
                line = hit.line
                right = min((other.x0 for other in hits if other.x0 > hit.x1 + 5), default=hit.x0 + 230)
                # "Attn:" sits inside the address block, under the company's name.
                top = line.top - 2.6 * line.size if _ATTENTION.match(line.folded, hit.start) else line.top
                regions.append(
                    _Region(line.page, top, line.bottom + 9 * line.size * 1.3, hit.x0 - 8, right - 2)
                )
    return regions


def _name_clean(text: str) -> str | None:
    if _NOT_A_NAME.search(text):
        return None
    text = text.strip(" :,;-\u2013")
    if len(text) < 2 or sum(character.isalpha() for character in text) < 2:
        return None
    return text


def _seller_heading_names(
    document: LayoutDocument, hits_by_line: dict[tuple[int, int], list[LabelHit]]
) -> list[FieldValue]:
    found = []
    for hits in hits_by_line.values():
        for hit in hits:
            if hit.field != SELLER or not _is_heading(hit):
                continue
            after = hit.line.text[hit.end :].lstrip()
            if after.startswith(":") and (name := _name_clean(after[1:].split("  ")[0])):
                found.append(FieldValue(name, 0.9, hit.line.page, hit.line.index))
                continue
            for index, value in enumerate(values_below(hit, hits, document)[:5]):
                keyed = _NAME_KEY.match(value.text)
                if keyed:
                    # "Name:" and its value may be a column apart: the value is the rest of the line.
                    rest = value.line.text[value.line.text.find(value.text) + keyed.end() :]
                    name = _name_clean(rest)
                    if name:
                        found.append(FieldValue(name, 0.95, value.line.page, value.line.index))
                        break
                    continue
                name = _name_clean(value.text)
                if name and index < 3:
                    found.append(FieldValue(name, 0.85, value.line.page, value.line.index))
                    break
    return found


def _legal_form_names(document: LayoutDocument, buyers: list[_Region]) -> list[FieldValue]:
    """Phrases ending in a legal form on the first and last page, scored by where they stand: the top
    of the first page, a line of company details (sender line, footer), and being printed more than once
    all point to the issuer."""
    occurrences: dict[str, list[tuple[float, str, TextLine]]] = {}
    pages = document.pages[:1] + document.pages[-1:] if len(document.pages) > 1 else document.pages
    for page in pages:
        for line in page.lines:
            details = _COMPANY_DETAILS.search(line.folded) is not None or len(_phrases(line.text)) >= 3
            for phrase_start, phrase in _phrases(line.text):
                match = _LEGAL_FORM.search(phrase)
                name = _name_clean(phrase[: match.end()]) if match else None
                if not name or len(name) > 60:
                    continue
                word = line.words[min(line.word_index_at(phrase_start), len(line.words) - 1)]
                if any(region.holds(line, word) for region in buyers):
                    continue
                if _BUYER_MARKERS.search(line.folded[:phrase_start]):
                    continue
                score = 0.55
                score += 0.15 if page.number == 0 and line.top < page.height * 0.25 else 0.0
                score += 0.1 if details else 0.0
                occurrences.setdefault(name.casefold(), []).append((score, name, line))
    found = []
    for printed in occurrences.values():
        score, name, line = max(printed, key=lambda item: item[0])
        bonus = 0.1 if len(printed) > 1 else 0.0
        found.append(FieldValue(name, min(score + bonus, 0.85), line.page, line.index))
    return found


def _phrases(text: str) -> list[tuple[int, str]]:
    """Parts of a line split at " - ", "|", "•", "," separators; "Acme Widgets, Inc." stays whole."""
    phrases: list[tuple[int, str]] = []
    start = 0
    for separator in _PHRASE_SEPARATORS.finditer(text):
        phrases.append((start, text[start : separator.start()]))
        start = separator.end()
    phrases.append((start, text[start:]))
    merged: list[tuple[int, str]] = []
    for offset, phrase in phrases:
        legal_form_alone = _LEGAL_FORM.fullmatch(phrase.strip()) is not None
        if merged and legal_form_alone and text[offset - 2 : offset] == ", ":
            previous_offset, _ = merged[-1]
            merged[-1] = (previous_offset, text[previous_offset : offset + len(phrase)])
        else:
            merged.append((offset, phrase))
    return [(offset, phrase) for offset, phrase in merged if phrase.strip()]


def _top_text_name(
    document: LayoutDocument, hits_by_line: dict[tuple[int, int], list[LabelHit]], buyers: list[_Region]
) -> FieldValue | None:
    """The largest text at the top of the first page, when it stands out from the body text (a
    letterhead); not a document title, a label or a buyer block."""
    if not document.pages or not document.pages[0].lines:
        return None
    page = document.pages[0]
    sizes = sorted(word.size for line in page.lines for word in line.words)
    body_size = sizes[len(sizes) // 2]
    top_lines = [
        line for line in page.lines if line.top < page.height * 0.25 and line.size > body_size * 1.15
    ]
    for line in sorted(top_lines, key=lambda line: (-line.size, line.top)):
        if _TITLE_WORDS.search(line.folded) or any(region.holds(line) for region in buyers):
            continue
        if hits_by_line.get((line.page, line.index)):
            continue
        name = _name_clean(_phrases(line.text)[0][1])
        if name and not any(character.isdigit() for character in name):
            return FieldValue(name, 0.72 if line.size >= 1.4 * body_size else 0.4, line.page, line.index)
    return None


def vendor_name_read(
    document: LayoutDocument, hits_by_line: dict[tuple[int, int], list[LabelHit]], buyers: list[_Region]
) -> FieldValue | None:
    candidates = _seller_heading_names(document, hits_by_line) + _legal_form_names(document, buyers)
    letterhead = _top_text_name(document, hits_by_line, buyers)
    if letterhead is not None:
        candidates.append(letterhead)
    return max(candidates, key=lambda candidate: candidate.confidence) if candidates else None


def _iban_valid(iban: str) -> bool:
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(character, 36)) for character in rearranged)
    return int(digits) % 97 == 1


def vendor_iban_read(document: LayoutDocument, buyers: list[_Region]) -> FieldValue | None:
    for line in document.lines:
        for match in _IBAN.finditer(line.text):
            iban = re.sub(r"\s", "", match.group())
            if not _iban_valid(iban):
                continue
            word = line.words[min(line.word_index_at(match.start()), len(line.words) - 1)]
            before = line.folded[max(0, match.start() - 40) : match.start()]
            if any(region.holds(line, word) for region in buyers) or _BUYER_MARKERS.search(before):
                continue
            return FieldValue(iban, 0.9, line.page, line.index)
    return None


def vendor_tax_id_read(
    document: LayoutDocument, hits_by_line: dict[tuple[int, int], list[LabelHit]], buyers: list[_Region]
) -> FieldValue | None:
    candidates: list[FieldValue] = []
    for line in document.lines:
        labelled = any(hit.field == TAX_ID for hit in hits_by_line.get((line.page, line.index), []))
        found_before = len(candidates)
        for pattern, needs_label in ((_VAT, False), (_GSTIN, False), (_EIN, True)):
            for match in pattern.finditer(line.text):
                if needs_label and not labelled:
                    continue
                before = line.folded[max(0, match.start() - 40) : match.start()]
                word = line.words[min(line.word_index_at(match.start()), len(line.words) - 1)]
                if _BUYER_MARKERS.search(before) or any(region.holds(line, word) for region in buyers):
                    continue
                value = re.sub(r"[\s.]", "", match.group())
                candidates.append(FieldValue(value, 0.85 if labelled else 0.6, line.page, line.index))
        if labelled and len(candidates) == found_before:
            # A labelled id of no known national shape ("USt-IdNr: DE12435679" in sample data).
            loose = _LOOSE_TAX_ID.search(line.text)
            if loose and not _BUYER_MARKERS.search(line.folded[: loose.start()]):
                candidates.append(FieldValue(loose.group().replace(" ", ""), 0.5, line.page, line.index))
    if not candidates:
        return None
    return max(candidates, key=lambda candidate: candidate.confidence)


def document_type_read(document: LayoutDocument, total_negative: bool) -> FieldValue:
    """Credit memo when a title in the top half of the first page says so ("Credit note", "Gutschrift",
    "Avoir", "Creditnota"), or when the total is negative; invoice otherwise.

    A title starts its phrase and is either alone in it or followed by its number ("Gutschrift Nr. 12"):
    "A credit note will follow" or "pour avoir un compte" are sentences, not titles.
    """
    if document.pages:
        page = document.pages[0]
        for line in page.lines:
            if line.top > page.height * 0.5:
                break
            for match in _CREDIT_WORDS.finditer(line.folded):
                if _title_like(line, match.start(), match.end()):
                    return FieldValue(CREDIT_MEMO, 0.9, line.page, line.index)
    if total_negative:
        return FieldValue(CREDIT_MEMO, 0.7)
    return FieldValue(INVOICE, 0.8)


def _title_like(line: TextLine, start: int, end: int) -> bool:
    index = line.word_index_at(start)
    if line.spans[index][0] != start:
        return False
    if index > 0 and line.words[index].x0 - line.words[index - 1].x1 < COLUMN_GAP_RATIO * line.size:
        return False
    last = line.word_index_at(end - 1)
    following = line.words[last + 1] if last + 1 < len(line.words) else None
    if following is None or following.x0 - line.words[last].x1 >= COLUMN_GAP_RATIO * line.size:
        return True
    return _TITLE_NUMBER.match(line.folded, end) is not None
