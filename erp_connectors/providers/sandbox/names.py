"""Word lists and identifier formats that make generated Sandbox data look real."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _letters(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(count))


@dataclass(frozen=True, slots=True)
class CountryProfile:
    currency: str
    domain: str
    phone_prefix: str
    legal_forms: tuple[str, ...]
    cities: tuple[str, ...]
    postal_code: Callable[[random.Random], str]


COUNTRIES: dict[str, CountryProfile] = {
    "NL": CountryProfile(
        "EUR",
        "nl",
        "+31",
        ("B.V.", "N.V.", "V.O.F."),
        ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"),
        lambda rng: f"{_digits(rng, 4)} {_letters(rng, 2)}",
    ),
    "DE": CountryProfile(
        "EUR",
        "de",
        "+49",
        ("GmbH", "AG", "KG"),
        ("Berlin", "Hamburg", "München", "Köln", "Frankfurt"),
        lambda rng: _digits(rng, 5),
    ),
    "GB": CountryProfile(
        "GBP",
        "co.uk",
        "+44",
        ("Ltd", "PLC", "LLP"),
        ("London", "Manchester", "Leeds", "Bristol"),
        lambda rng: f"{_letters(rng, 2)}{rng.randrange(1, 20)} {rng.randrange(1, 9)}{_letters(rng, 2)}",
    ),
    "US": CountryProfile(
        "USD",
        "com",
        "+1",
        ("Inc.", "LLC", "Corp."),
        ("Chicago", "Austin", "Denver", "Boston", "Seattle"),
        lambda rng: _digits(rng, 5),
    ),
    "FR": CountryProfile(
        "EUR",
        "fr",
        "+33",
        ("SARL", "SAS", "SA"),
        ("Paris", "Lyon", "Lille", "Nantes"),
        lambda rng: _digits(rng, 5),
    ),
    "BE": CountryProfile(
        "EUR",
        "be",
        "+32",
        ("BV", "NV", "SRL"),
        ("Antwerpen", "Gent", "Brussel", "Leuven"),
        lambda rng: _digits(rng, 4),
    ),
}
COUNTRY_CODES = tuple(COUNTRIES)

# Country -> BBAN made from the rng; the IBAN check digits are computed (ISO 13616, mod 97).
_BBAN: dict[str, Callable[[random.Random], str]] = {
    "NL": lambda rng: _letters(rng, 4) + _digits(rng, 10),
    "DE": lambda rng: _digits(rng, 18),
    "GB": lambda rng: _letters(rng, 4) + _digits(rng, 14),
    "FR": lambda rng: _digits(rng, 23),
    "BE": lambda rng: _digits(rng, 12),
}


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = "".join(str(int(character, 36)) for character in rearranged)
    return f"{98 - int(number) % 97:02d}"


def iban_is_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(character, 36)) for character in rearranged)) % 97 == 1


def bank_account_make(country: str, rng: random.Random) -> str:
    if country == "US":
        return f"{_digits(rng, 9)} {_digits(rng, 10)}"  # ABA routing number and account number
    bban = _BBAN[country](rng)
    return f"{country}{iban_check_digits(country, bban)}{bban}"


def tax_id_make(country: str, rng: random.Random) -> str:
    if country == "NL":
        return f"NL{_digits(rng, 9)}B01"
    if country == "US":
        return f"{_digits(rng, 2)}-{_digits(rng, 7)}"
    if country == "FR":
        return f"FR{_digits(rng, 11)}"
    if country == "BE":
        return f"BE0{_digits(rng, 9)}"
    return f"{country}{_digits(rng, 9)}"


PAYMENT_TERMS = ("Net 30", "Net 30", "Net 14", "Net 45", "Net 60", "2/10 Net 30", "Due on receipt")

FIRST_NAMES = (
    "Anna",
    "Ben",
    "Carla",
    "Daan",
    "Emma",
    "Finn",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Katja",
    "Lars",
    "Mila",
    "Noah",
    "Olivia",
    "Pieter",
    "Quinn",
    "Rosa",
    "Sam",
    "Tess",
    "Umar",
    "Vera",
    "Wout",
    "Xenia",
    "Yara",
    "Zoe",
    "James",
    "Mary",
    "Robert",
    "Linda",
    "Michael",
    "Sarah",
    "David",
    "Laura",
    "Thomas",
)
LAST_NAMES = (
    "Jansen",
    "de Vries",
    "Bakker",
    "Visser",
    "Smit",
    "Meyer",
    "Schmidt",
    "Fischer",
    "Weber",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Evans",
    "Johnson",
    "Miller",
    "Davis",
    "Garcia",
    "Martin",
    "Bernard",
    "Dubois",
    "Lambert",
    "Peeters",
    "Maes",
    "Claes",
    "Mertens",
    "Rossi",
    "Keller",
    "Vogel",
    "Hart",
    "Clarke",
    "Walker",
    "Wright",
    "Young",
    "King",
    "Baker",
)
VENDOR_WORDS = (
    "Logistics",
    "Office Supplies",
    "Consulting",
    "Engineering",
    "Facilities",
    "Print",
    "Catering",
    "IT Services",
    "Packaging",
    "Freight",
    "Electrical",
    "Cleaning",
    "Software",
    "Staffing",
    "Metals",
    "Chemicals",
    "Legal",
    "Marketing",
    "Security",
    "Telecom",
    "Energy",
    "Furniture",
    "Tools",
    "Media",
)
STREETS = (
    "Main Street",
    "Kerkstraat",
    "Hauptstraße",
    "High Street",
    "Rue de la Paix",
    "Stationsweg",
    "Industrieweg",
    "Bahnhofstraße",
    "Market Street",
    "Dorpsstraat",
    "Park Lane",
    "Nieuwe Gracht",
)
ITEM_ADJECTIVES = (
    "Standard",
    "Premium",
    "Heavy-duty",
    "Compact",
    "Recycled",
    "Industrial",
    "Basic",
    "Deluxe",
    "Stainless",
    "Wireless",
    "Ergonomic",
    "Certified",
)
ITEM_NOUNS = (
    "paper ream",
    "toner cartridge",
    "laptop",
    "monitor",
    "office chair",
    "desk",
    "pallet",
    "cable",
    "safety gloves",
    "cleaning service hour",
    "consulting hour",
    "forklift rental day",
    "printer",
    "shipping box",
    "hard hat",
    "label roll",
    "software licence",
    "server rack",
    "coffee beans",
)
ITEM_DETAILS = ("pack of 10", "per unit", "per hour", "per day", "box of 500", "EU model", "grade A")
UNITS = ("each", "box", "hour", "day", "kg", "m", "pack")

ACCOUNT_CLASSES = (
    ("asset", "Assets"),
    ("liability", "Liabilities"),
    ("equity", "Equity"),
    ("income", "Income"),
    ("expense", "Expenses"),
    ("other", "Other items"),
)
ACCOUNT_WORDS = {
    "asset": ("Cash", "Bank", "Receivables", "Inventory", "Prepaid expenses", "Equipment", "Vehicles"),
    "liability": ("Payables", "Accrued expenses", "VAT payable", "Payroll liabilities", "Loans"),
    "equity": ("Share capital", "Retained earnings", "Reserves"),
    "income": ("Sales", "Service revenue", "Interest income", "Other income"),
    "expense": (
        "Office supplies",
        "Rent",
        "Utilities",
        "Travel",
        "Software subscriptions",
        "Freight",
        "Professional fees",
        "Marketing",
        "Repairs",
        "Insurance",
        "Telephone",
        "Training",
        "Meals",
        "Cost of goods sold",
        "Contractors",
    ),
    "other": ("Rounding", "Suspense", "Exchange differences"),
}
DIMENSION_WORDS = {
    "department": ("Finance", "Operations", "Sales", "Marketing", "IT", "HR", "Legal", "Procurement"),
    "cost_center": ("Headquarters", "Warehouse North", "Warehouse South", "Plant A", "Plant B", "Fleet"),
    "project": ("ERP rollout", "Office move", "Product launch", "Audit 2024", "Website", "Expansion"),
    "location": ("Amsterdam", "Berlin", "London", "Chicago", "Paris", "Antwerp", "Remote"),
    "class": ("Retail", "Wholesale", "Online", "Services", "Internal"),
}
