"""Template filters for invoice pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    """A number without trailing zeros ("2.0000" -> "2", "4.500000" -> "4.5"); money keeps two places."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number.normalize(), "f")
    if "." in text and len(text.split(".")[1]) == 1:
        text += "0"
    return text
