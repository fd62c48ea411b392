"""Normal forms of the identifiers invoices are compared by. Pure functions, no database.

Printed identifiers vary in spacing, punctuation and prefixes ("INV-001048", "Inv. No 1048", "1048"):
these forms let two spellings of one identifier compare equal.
"""

from __future__ import annotations

import re
import unicodedata

# Words printed in front of the number itself ("INV-1048", "Invoice No. 1048", "RE 2024-17").
_NUMBER_PREFIX = re.compile(
    r"^(?:invoice|inv|bill|rechnung|rech|re|rg|facture|fact|fa|factuur|credit\s*note|cn|no|nr|number|num|#)"
    r"[\s.:#/-]*",
    re.IGNORECASE,
)
_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")
_LEGAL_FORMS = re.compile(
    r"\b(?:inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|gmbh|ag|kg|"
    r"sarl|sa|sas|bv|b\.v|nv|n\.v|plc|pty|srl|spa|oy|ab|as|aps|the|und|and|&)\b\.?",
    re.IGNORECASE,
)
# Mail domains shared by many senders: a sender there says nothing about which vendor it is.
SHARED_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
        "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de",
        "mail.com", "yandex.ru", "zoho.com",
    }
)  # fmt: skip


def invoice_number_normalize(number: str) -> str:
    """Upper-case letters and digits only, without a leading "INV"/"No." word or leading zeros.

    >>> invoice_number_normalize("INV-001048"), invoice_number_normalize("1048")
    ('1048', '1048')
    """
    text = unicodedata.normalize("NFKC", number or "").strip()
    previous = None
    while previous != text:
        previous = text
        text = _NUMBER_PREFIX.sub("", text, count=1).strip()
    compact = _NOT_ALPHANUMERIC.sub("", text.upper())
    stripped = compact.lstrip("0")
    return stripped or compact


def tax_id_normalize(tax_id: str) -> str:
    """Letters and digits, upper case: "DE 123.456.789" -> "DE123456789"."""
    return _NOT_ALPHANUMERIC.sub("", unicodedata.normalize("NFKC", tax_id or "").upper())


def tax_id_forms(tax_id: str) -> frozenset[str]:
    """The normal form, and without a two-letter country prefix ("US12-3456789" also as "123456789")."""
    normal = tax_id_normalize(tax_id)
    if len(normal) < 5:
        return frozenset()
    forms = {normal}
    if normal[:2].isalpha() and normal[2:3].isdigit():
        forms.add(normal[2:])
    return frozenset(forms)


def bank_account_normalize(account: str) -> str:
    """IBAN or account number without spaces and punctuation, upper case."""
    return _NOT_ALPHANUMERIC.sub("", (account or "").upper())


def email_domain(address: str) -> str:
    """The domain of an address, lower case ("Billing <AR@Vendor.com>" -> "vendor.com"); "" if none."""
    match = re.search(r"@([A-Za-z0-9.-]+\.[A-Za-z]{2,})", address or "")
    return match.group(1).lower().rstrip(".") if match else ""


def vendor_name_normalize(name: str) -> str:
    """Lower case words without legal forms and punctuation: "Northwind Traders, Inc." -> "northwind traders"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(character for character in text if not unicodedata.combining(character))
    text = _LEGAL_FORMS.sub(" ", text.lower())
    return " ".join(re.findall(r"[a-z0-9]+", text))


def purchase_order_number_normalize(number: str) -> str:
    """Upper-case letters and digits: "po 2001" and "PO-2001" compare equal."""
    return _NOT_ALPHANUMERIC.sub("", (number or "").upper())
