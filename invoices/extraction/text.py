"""Text folding shared by the label, date and scoring code.

`text_fold` lower-cases and strips accents one character at a time, so the folded string has exactly the
length of its input: an offset found by a regular expression in the folded text is also the offset of the
same characters in the printed text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WHITESPACE = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def _character_fold(character: str) -> str:
    lowered = character.lower()
    if len(lowered) != 1:
        lowered = character
    decomposed = unicodedata.normalize("NFKD", lowered)
    if decomposed and len(decomposed[0]) == 1 and not unicodedata.combining(decomposed[0]):
        return decomposed[0]
    return lowered


def text_fold(text: str) -> str:
    """Lower-case `text` and strip its accents, keeping one output character per input character."""
    return "".join(map(_character_fold, text))


def text_clean(text: str) -> str:
    """Compatibility-normalize (ligatures, no-break spaces) and collapse whitespace."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()
