"""Field labels in English, German, French and Dutch, and finding them in a line of text.

Labels are regular expressions over folded text (lower case, no accents). All of them are tried as one
alternation, longest pattern first, scanning each line left to right without overlaps: "Bestell-Datum"
is taken by the order-date label before the bare "Datum" invoice-date label can claim "Datum". Labels of
fields the extractor does not report (`OTHER`) are listed for exactly that reason: they keep generic
labels from firing inside a more specific one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from invoices.extraction.layout_document import TextLine

INVOICE_NUMBER = "invoice_number"
INVOICE_DATE = "invoice_date"
DUE_DATE = "due_date"
PURCHASE_ORDER = "po_number"
CURRENCY = "currency"
SUBTOTAL = "subtotal"
TAX = "tax"
TOTAL = "total"
AMOUNT_DUE = "amount_due"
PAYMENT_TERMS = "payment_terms"
TAX_ID = "vendor_tax_id"
SELLER = "seller"
BUYER = "buyer"
OTHER = "other"

# Words further apart than this many font sizes belong to different columns.
LABEL_GAP_RATIO = 1.6

STRONG = 0.95
MEDIUM = 0.75
WEAK = 0.55

_NUMBER = r"(?:n[°o]|no|nr|nbr|num|number|nummer|numero|#|id)\.?"

_LABELS: dict[str, tuple[tuple[float, str], ...]] = {
    INVOICE_NUMBER: (
        (STRONG, rf"(?:tax\s+|commercial\s+)?invoice\s*{_NUMBER}"),
        (STRONG, r"inv\.?\s*(?:no|nr|#)\.?"),
        (STRONG, r"[a-z]*rechnungs?[\s.-]*(?:nr|nummer|no|n°)\.?"),
        (STRONG, r"[a-z]*rechnung\s*\(\d{3}\)\s*(?:nr|no)\.?"),
        (STRONG, r"beleg[\s-]*(?:nr|nummer|no)\.?"),
        (STRONG, r"re[\s.-]*nr\.?"),
        (STRONG, r"(?:n[°o]|numero|num\.?)\s*(?:de\s+)?(?:la\s+)?facture"),
        (STRONG, r"facture\s*(?:n[°o]|no|numero|num)\.?"),
        (STRONG, r"factuur\s*(?:nummer|nr|no)\.?|factuurnummer|factuurnr\.?"),
        (STRONG, rf"credit\s*(?:note|memo)\s*{_NUMBER}"),
        (STRONG, r"gutschrifts?[\s.-]*(?:nr|nummer|no)\.?"),
        (STRONG, r"(?:facture\s*d'?\s*)?avoir\s*(?:n[°o]|numero)\.?|(?:n[°o]|numero)\s*d'?\s*avoir"),
        (STRONG, r"credit\s*nota\s*(?:nummer|nr)\.?|creditnota\s*(?:nummer|nr)\.?|creditnotanummer"),
        (MEDIUM, rf"(?:bill|document|receipt|voucher)\s*{_NUMBER}"),
        (WEAK, r"booking\s*id|invoice|rechnung|facture|factuur|gutschrift|avoir|credit\s*note|creditnota"),
    ),
    INVOICE_DATE: (
        (STRONG, r"invoice\s*date|date\s*of\s*(?:the\s*)?invoice|invoice\s*issue\s*date|issue\s*date"),
        (STRONG, r"(?:date\s*)?issued\s*(?:on|at|date)?|billing\s*date|bill\s*date|tax\s*point\s*date"),
        (STRONG, r"date\s*of\s*issue|document\s*date|datum\s*factuur|factuurdatum"),
        (STRONG, r"rechnungs?[\s-]*datum|beleg[\s-]*datum|datum\s*der\s*rechnung|gutschrifts?[\s-]*datum"),
        (STRONG, r"date\s*(?:de\s*)?(?:la\s*)?facture|date\s*de\s*facturation|date\s*d'?\s*emission"),
        (STRONG, r"factuur[\s-]*datum|credit\s*note\s*date|date\s*de\s*l'?\s*avoir"),
        (WEAK, r"date|datum|dated"),
    ),
    DUE_DATE: (
        (STRONG, r"(?:payment\s*)?due\s*date|date\s*due|payment\s*due|due\s*(?:by|on)|pay(?:able)?\s*by"),
        (STRONG, r"(?:please\s*)?(?:remit|pay)\s*(?:until|by|before)"),
        (STRONG, r"falligkeit(?:sdatum)?|fallig\s*(?:am|bis|zum)?|zahlbar\s*bis(?:\s*zum)?"),
        (STRONG, r"date\s*d'?\s*echeance|echeance|date\s*limite\s*de\s*(?:paiement|reglement)"),
        (STRONG, r"a\s*payer\s*avant(?:\s*le)?|vervaldatum|vervaldag|uiterste\s*betaal\s*datum"),
        (MEDIUM, r"(?:te\s*)?betalen\s*voor"),
        (WEAK, r"due"),
    ),
    PURCHASE_ORDER: (
        (STRONG, rf"purchase\s*order(?:\s*{_NUMBER})?|p\.?\s?o\.?\s*(?:{_NUMBER}|ref(?:erence)?\.?)"),
        (STRONG, rf"customer\s*p\.?\s?o\.?(?:\s*{_NUMBER})?|p\.?\s?o\.?(?=\s*[:#])|p\.o\.(?!\s*box)"),
        (STRONG, rf"(?:your\s*|customer\s*)?order\s*(?:{_NUMBER}|ref(?:erence)?\.?)"),
        (STRONG, r"bestell(?:ung)?[\s.-]*(?:nr|nummer|no)\.?(?:\s*kunde)?|ihre\s*bestellung(?:\s*nr\.?)?"),
        (STRONG, r"(?:n[°o]\s*(?:de\s*)?)?bon\s*de\s*commande|commande\s*(?:n[°o]|client)|votre\s*commande"),
        (STRONG, r"ref(?:erence)?\s*(?:de\s*)?commande|inkoop\s*order(?:\s*nummer)?|inkoopordernummer"),
        (STRONG, r"(?:uw\s*)?order\s*nummer|(?:uw\s*)?ordernummer|bestelnummer|uw\s*order"),
        (MEDIUM, r"your\s*order|customer\s*order|bestellung|votre\s*reference|uw\s*referentie"),
        (WEAK, r"your\s*ref(?:erence)?\.?|buyer\s*reference|referenz\s*des\s*kaufers|ihr\s*zeichen"),
    ),
    CURRENCY: ((STRONG, r"currency|wahrung|devise|valuta|monnaie"),),
    TOTAL: (
        (
            STRONG,
            r"grand\s*total|invoice\s*total|total\s*invoice(?:\s*amount)?|total\s*amount(?!\s*(?:excl|before|net|ex))",
        ),
        (
            STRONG,
            r"total\s*(?:amount\s*)?(?:incl(?:\.|uding)?|inc\.?|with)\s*(?:vat|tax|gst)|total\s*t\.?t\.?c\.?",
        ),
        (STRONG, r"montant\s*(?:total\s*)?t\.?t\.?c\.?|bruttosumme|brutto[\s-]*(?:betrag|summe)|endbetrag"),
        (
            STRONG,
            r"gesamt[\s-]*(?:betrag|summe)(?:\s*brutto)?|rechnungs[\s-]*(?:betrag|summe)|summe\s*brutto",
        ),
        (STRONG, r"totaal\s*(?:incl\.?|inclusief)\s*btw|factuur\s*totaal|totaal\s*factuur|totaalbedrag"),
        (STRONG, r"total\s*payable|invoice\s*amount|amount\s*incl\.?(?:uding)?\s*(?:vat|tax)|bruttobetrag"),
        (STRONG, r"endsumme|montant\s*total|total\s*general|totaal\s*bedrag"),
        (WEAK, r"total|totaal|gesamt|summe"),
    ),
    AMOUNT_DUE: (
        (
            MEDIUM,
            r"(?:total\s*)?amount\s*due(?:\s*(?:on|by))?|balance\s*due|total\s*due|due\s*payable|zahlbetrag",
        ),
        (MEDIUM, r"amount\s*payable"),
        (
            MEDIUM,
            r"zu\s*zahlen(?:der\s*betrag)?|net\s*a\s*payer|solde\s*a\s*payer|te\s*betalen|reste\s*a\s*payer",
        ),
    ),
    SUBTOTAL: (
        (
            STRONG,
            r"sub[\s-]*total|net\s*total|total\s*net|net\s*amount|total\s*h\.?t\.?|montant\s*(?:total\s*)?h\.?t\.?",
        ),
        (
            STRONG,
            r"total\s*(?:amount\s*)?(?:excl(?:\.|uding)?|ex\.?|before|without|w/o|net\s*of)\s*(?:vat|tax|gst)",
        ),
        (STRONG, r"total\s*hors\s*taxes?|sous[\s-]*total|nettobetrag|netto[\s-]*(?:summe|betrag|gesamt)"),
        (
            STRONG,
            r"summe\s*netto|gesamt\s*netto|zwischensumme|(?:rechnungs|gesamt)?summe\s*ohne\s*(?:ust|mwst)\.?",
        ),
        (
            STRONG,
            r"subtotaal|totaal\s*(?:excl\.?|exclusief)\s*btw|netto\s*bedrag|bedrag\s*excl\.?(?:\s*btw)?",
        ),
        (MEDIUM, r"amount\s*(?:excl|before)\.?\s*(?:vat|tax)|taxable\s*amount|base\s*h\.?t\.?|netto"),
        (STRONG, r"untaxed\s*amount|total\s*before\s*tax|net\s*value|total\s*hors\s*(?:taxes?|tva)"),
        (STRONG, r"(?:amount|total)\s*excl(?:\.|uding)?\s*(?:vat|tax|btw)|excl\.?\s*btw|summe\s*positionen"),
        (
            WEAK,
            r"positionssumme|grondslag|warenwert|gesamtbetrag\s*(?:der\s*)?positionen|summe\s*der\s*positionen",
        ),
    ),
    TAX: (
        (
            STRONG,
            r"total\s*(?:vat|tax|gst|tva|btw)|(?:vat|tax|gst|sales\s*tax)\s*(?:total|amount)|total\s*taxes",
        ),
        (
            STRONG,
            r"montant\s*(?:total\s*)?(?:de\s*(?:la\s*)?)?tva|mwst[\s.-]*(?:betrag|summe)|ust[\s.-]*(?:betrag|summe)",
        ),
        (
            STRONG,
            r"umsatzsteuer[\s-]*(?:betrag|summe)|mehrwertsteuer[\s-]*(?:betrag)?|steuerbetrag|summe\s*(?:mwst|ust)",
        ),
        (STRONG, r"btw[\s-]*bedrag|totaal\s*btw|bedrag\s*btw|sales\s*tax"),
        (WEAK, r"tva|vat|tax|btw|mwst|ust|umsatzsteuer|gst|igst|cgst|sgst|hst|enthaltene\s*mwst"),
    ),
    PAYMENT_TERMS: (
        (STRONG, r"payment\s*terms|terms\s*of\s*payment|zahlungs(?:bedingungen|ziel|konditionen)"),
        (STRONG, r"conditions?\s*de\s*(?:paiement|reglement)|modalites\s*de\s*paiement"),
        (STRONG, r"betalings(?:voorwaarden|termijn|conditie)s?"),
        (WEAK, r"terms"),
    ),
    TAX_ID: (
        (
            STRONG,
            r"vat[\s-]*(?:id|no|nr|number|reg(?:istration)?(?:\s*(?:no|number))?)\.?|tax\s*id|federal\s*tax\s*id",
        ),
        (
            STRONG,
            r"ust[\s.-]*id[\s.-]*(?:nr|no)?\.?|umsatzsteuer[\s-]*id(?:entifikationsnummer)?|st[\s.-]*nr\.?",
        ),
        (
            STRONG,
            r"(?:n[°o]\s*)?tva(?:\s*intra[\s-]*com(?:munautaire)?)?|btw[\s-]*(?:nummer|nr|id)\.?|gstin|ein",
        ),
        (MEDIUM, r"steuernummer|siren|siret|kvk(?:[\s-]*nummer)?"),
    ),
    SELLER: (
        (STRONG, r"seller(?:\s*trade\s*name)?|vendor|supplier|bill\s*from|issued\s*by|verkaufer|lieferant"),
        (STRONG, r"rechnungssteller|fournisseur|vendeur|emetteur|leverancier|verkoper"),
    ),
    BUYER: (
        (
            STRONG,
            r"bill(?:ed)?\s*to|invoice\s*to|sold\s*to|ship(?:ped)?\s*to|deliver(?:y|ed)?\s*to|buyer|customer",
        ),
        (
            STRONG,
            r"kaufer(?:/leistungsempfanger)?|kunde|rechnungsempfanger|warenempfanger|leistungsempfanger",
        ),
        (
            STRONG,
            r"rechnungsadresse|lieferanschrift|lieferadresse|adresse\s*(?:de\s*(?:facturation|livraison)|du\s*client)",
        ),
        (STRONG, r"client|destinataire|factuuradres|afleveradres|klant|afnemer|guest\s*name"),
        (STRONG, r"attn\.?|attention|z\.\s?hd\.?|t\.\s?a\.\s?v\.|a\s*l'attention\s*de"),
    ),
    OTHER: (
        (STRONG, rf"(?:customer|client|kunden|klant(?:en)?|account|debitor(?:en)?)[\s-]*{_NUMBER}"),
        (
            STRONG,
            rf"kundennummer|klantnummer|(?:n[°o]|numero)\s*(?:de\s*)?client|delivery\s*note\s*{_NUMBER}",
        ),
        (
            STRONG,
            r"lieferschein[\s-]*(?:nr|nummer|datum)?\.?|auftrag(?:s)?[\s-]*(?:nr|nummer|datum)[\s-]*(?:lief)?",
        ),
        (STRONG, r"(?:n[°o]\s*)?bon\s*de\s*(?:livraison|reception|vente)|order\s*date|bestell[\s-]*datum"),
        (
            STRONG,
            r"delivery\s*date|date\s*of\s*(?:delivery|supply|service)|ship(?:ping)?\s*date|service\s*date",
        ),
        (
            STRONG,
            r"liefer(?:ungs)?[\s-]*(?:und\s*leistungs)?[\s-]*datum|leistungs[\s-]*datum|leistungszeitraum",
        ),
        (
            STRONG,
            r"date\s*de\s*livraison|date\s*de\s*(?:debut|fin)\s*de\s*prestation|leverdatum|afleverdatum",
        ),
        (STRONG, r"(?:n[°o]|date)\s*de\s*facture\s*associee|order\s*id|check\s*(?:in|out)|period"),
        (
            STRONG,
            r"gesamtbetrag\s*der\s*(?:zuschlage|abschlage)|anzahlung(?:en)?|vorauszahlung|prepaid|acompte",
        ),
        (STRONG, r"deposit|aanbetaling|discount|rabatt|skonto|remise|korting|escompte"),
        (STRONG, r"guest\s*name|payment\s*mode|phone|telefon|tel\.|fax|e-?mail|iban|bic|swift"),
    ),
}


_UNNAMED_GROUP = re.compile(r"(?<!\\)\((?!\?)")


@dataclass(frozen=True)
class LabelHit:
    """A label found in a line: its field, how much it says about that field, and its span in the line."""

    field: str
    strength: float
    line: TextLine
    start: int
    end: int

    @property
    def x0(self) -> float:
        return self.line.x_at(self.start)

    @property
    def x1(self) -> float:
        return self.line.x_at(self.end, end=True)

    @property
    def text(self) -> str:
        return self.line.text[self.start : self.end]


_ANY_FIRST = "any"
_WORD_START = re.compile(r"(?<![a-z0-9])[a-z0-9#°]")


@dataclass(frozen=True)
class _Bucket:
    """The label alternatives that can start with one character: one alternation that quickly says
    whether any of them matches, and each alternative on its own to find the longest match."""

    any_match: re.Pattern[str]
    alternatives: tuple[tuple[re.Pattern[str], str, float], ...]


@cache
def _labels_compile() -> dict[str, _Bucket]:
    """Label alternatives bucketed by the character they can start with.

    Trying a few hundred alternatives at every word start is slow; bucketing them keeps each attempt to
    a dozen or two, and most word starts are rejected by one alternation.
    """
    rules = [
        (field, strength, alternative)
        for field, entries in _LABELS.items()
        for strength, pattern in entries
        for alternative in _alternatives_split(pattern)
    ]
    rules.sort(key=lambda rule: len(rule[2]), reverse=True)
    firsts = [_first_characters(alternative) for _, _, alternative in rules]
    characters = (set().union(*firsts) | set("abcdefghijklmnopqrstuvwxyz0123456789#°")) - {_ANY_FIRST}
    buckets = {}
    for character in characters:
        chosen = [
            rule
            for rule, first in zip(rules, firsts, strict=True)
            if character in first or _ANY_FIRST in first
        ]
        if chosen:
            pattern = "|".join(f"(?:{alternative})" for _, _, alternative in chosen)
            buckets[character] = _Bucket(
                re.compile(rf"(?:{pattern})(?![a-z0-9])"),
                tuple(
                    (re.compile(rf"(?:{alternative})(?![a-z0-9])"), field, strength)
                    for field, strength, alternative in chosen
                ),
            )
    return buckets


def _alternatives_split(pattern: str) -> list[str]:
    """Split a pattern on its top-level "|" so each alternative is ordered by its own length."""
    return [_UNNAMED_GROUP.sub("(?:", part) for part in _top_level_split(pattern)]


def _top_level_split(pattern: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth, escaped = 0, False
    for character in pattern:
        if not escaped and character == "(":
            depth += 1
        elif not escaped and character == ")":
            depth -= 1
        if character == "|" and depth == 0 and not escaped:
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
        escaped = character == "\\" and not escaped
    parts.append("".join(current))
    return parts


def _first_characters(pattern: str) -> set[str]:
    """The characters a match of `pattern` can start with, read from the source of the simple patterns
    used in this module (literals, groups, optional parts, character classes); `_ANY_FIRST` otherwise."""
    if not pattern:
        return {_ANY_FIRST}
    if pattern.startswith("(?:"):
        depth, index = 0, 0
        for index, character in enumerate(pattern):
            depth += character == "(" and (index == 0 or pattern[index - 1] != "\\")
            depth -= character == ")" and pattern[index - 1] != "\\"
            if depth == 0:
                break
        inner, rest = pattern[3:index], pattern[index + 1 :]
        first = set().union(*(_first_characters(branch) for branch in _top_level_split(inner)))
        if rest[:1] in ("?", "*"):
            first |= _first_characters(rest[1:])
        return first
    if pattern.startswith("["):
        close = pattern.index("]")
        if pattern[close + 1 : close + 2] in ("?", "*") or "-" in pattern[1:close]:
            return {_ANY_FIRST}
        return set(pattern[1:close])
    if pattern[0] == "\\":
        return {_ANY_FIRST}
    if pattern[1:2] in ("?", "*"):
        return {pattern[0]} | _first_characters(pattern[2:])
    return {pattern[0]}


def labels_find(line: TextLine) -> list[LabelHit]:
    """All labels in `line`, left to right, non-overlapping, the longest pattern winning at each position.

    A label never spans a column gap: "Date" and "Due" heading two columns are two labels, not "Date due".
    """
    buckets = _labels_compile()
    folded, hits, position = line.folded, [], 0
    segment_ends = _segment_ends(line)
    for start in _WORD_START.finditer(folded):
        if start.start() < position or start.group() not in buckets:
            continue
        bucket = buckets[start.group()]
        end = next(offset for offset in segment_ends if offset > start.start())
        if bucket.any_match.match(folded, start.start(), end) is None:
            continue
        best: tuple[int, str, float] | None = None
        for pattern, field, strength in bucket.alternatives:
            match = pattern.match(folded, start.start(), end)
            if match is not None and match.end() > start.start() and (best is None or match.end() > best[0]):
                best = (match.end(), field, strength)
        if best is None:
            continue
        hits.append(LabelHit(best[1], best[2], line, start.start(), best[0]))
        position = best[0]
    return hits


def _segment_ends(line: TextLine) -> list[int]:
    """Character offsets where the line's phrases end: at column gaps and at the end of the line."""
    ends = []
    for index in range(1, len(line.words)):
        previous, word = line.words[index - 1], line.words[index]
        if word.x0 - previous.x1 > LABEL_GAP_RATIO * max(previous.size, word.size):
            ends.append(line.spans[index - 1][1])
    ends.append(len(line.folded))
    return ends
