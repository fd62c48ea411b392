"""Coding suggestions for one invoice line. Pure: frozen facts in, ranked suggestions out.

Sources, in the order they are trusted:

1. the purchase-order line the invoice line is matched to (its account and dimensions);
2. the entity's coding rules (first matching rule by priority);
3. the item's expense account;
4. the learned model, when it is at least fairly sure (confidence >= 0.5);
5. the vendor's default account and dimensions;
6. the learned model's less sure guesses.

Every suggestion carries its confidence, its source and a reason a clerk can read. The first suggestion
per target is applied when its confidence reaches ``APPLY_THRESHOLD``; the others are shown as
alternatives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from invoices.coding.learning import GL_ACCOUNT, coding_predict

SUGGESTER_VERSION = "1.0"
APPLY_THRESHOLD = 0.5
LEARNED_TRUSTED = 0.5

CONFIDENCE = {"po_line": 0.98, "rule": 0.95, "item": 0.9, "vendor": 0.8}


@dataclass(frozen=True)
class Suggestion:
    value: str  # GL account external id, or dimension value external id
    confidence: float
    source: str  # po_line | rule | item | learned | vendor
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": self.confidence,
            "source": self.source,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class RuleFacts:
    id: int
    name: str
    vendor_id: int | None
    description_contains: str
    gl_account: str
    dimensions: Mapping[str, str]

    def applies_to(self, *, description: str, vendor_id: int | None) -> bool:
        if self.vendor_id is None and not self.description_contains:
            return False
        if self.vendor_id is not None and self.vendor_id != vendor_id:
            return False
        return not self.description_contains or (
            self.description_contains.casefold() in (description or "").casefold()
        )


@dataclass(frozen=True)
class SourceCoding:
    """An account and dimensions offered by a PO line, an item or a vendor, with a label for the reason."""

    label: str
    gl_account: str = ""
    dimensions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LineToCode:
    entity_id: int
    description: str
    vendor_id: int | None
    purchase_order_line: SourceCoding | None = None
    item: SourceCoding | None = None
    vendor: SourceCoding | None = None


@dataclass(frozen=True)
class LearnedModel:
    version: int
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class LineSuggestions:
    gl_account: tuple[Suggestion, ...]
    dimensions: Mapping[str, tuple[Suggestion, ...]]

    def applicable(self, target: str) -> Suggestion | None:
        """The suggestion to apply for ``target`` ("gl_account" or a dimension type code), if any."""
        ranked = self.gl_account if target == GL_ACCOUNT else self.dimensions.get(target, ())
        if ranked and ranked[0].confidence >= APPLY_THRESHOLD:
            return ranked[0]
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "gl_account": [suggestion.to_dict() for suggestion in self.gl_account],
            "dimensions": {
                code: [suggestion.to_dict() for suggestion in ranked]
                for code, ranked in sorted(self.dimensions.items())
            },
            "suggester_version": SUGGESTER_VERSION,
        }


def line_coding_suggest(
    *,
    line: LineToCode,
    rules: Sequence[RuleFacts],
    model: LearnedModel | None,
    dimension_types: Sequence[str] = (),
) -> LineSuggestions:
    matching_rules = [
        rule for rule in rules if rule.applies_to(description=line.description, vendor_id=line.vendor_id)
    ]
    targets = {GL_ACCOUNT, *dimension_types}
    for source in (line.purchase_order_line, line.item, line.vendor):
        if source is not None:
            targets.update(source.dimensions)
    for rule in matching_rules:
        targets.update(rule.dimensions)
    if model is not None:
        tables = model.payload.get("entities", {}).get(str(line.entity_id), {})
        targets.update(name.split(":", 1)[1] for name in tables if name.startswith("dimension:"))
    gl_account = _ranked(line, GL_ACCOUNT, matching_rules, model)
    dimensions = {
        code: ranked
        for code in sorted(targets - {GL_ACCOUNT})
        if (ranked := _ranked(line, code, matching_rules, model))
    }
    return LineSuggestions(gl_account=gl_account, dimensions=dimensions)


def _offered(source: SourceCoding | None, target: str) -> str:
    if source is None:
        return ""
    return source.gl_account if target == GL_ACCOUNT else source.dimensions.get(target, "")


def _ranked(
    line: LineToCode, target: str, rules: Sequence[RuleFacts], model: LearnedModel | None
) -> tuple[Suggestion, ...]:
    candidates: list[Suggestion] = []
    value = _offered(line.purchase_order_line, target)
    if value and line.purchase_order_line is not None:
        candidates.append(
            Suggestion(value, CONFIDENCE["po_line"], "po_line", f"From {line.purchase_order_line.label}.")
        )
    for rule in rules:
        value = rule.gl_account if target == GL_ACCOUNT else rule.dimensions.get(target, "")
        if value:
            candidates.append(Suggestion(value, CONFIDENCE["rule"], "rule", f"Coding rule “{rule.name}”."))
            break
    value = _offered(line.item, target)
    if value and line.item is not None:
        candidates.append(Suggestion(value, CONFIDENCE["item"], "item", f"Default of {line.item.label}."))
    learned = None
    if model is not None:
        prediction = coding_predict(
            model.payload,
            entity_id=line.entity_id,
            target=target if target == GL_ACCOUNT else f"dimension:{target}",
            description=line.description,
            vendor_id=line.vendor_id,
            version=model.version,
        )
        if prediction is not None:
            learned = Suggestion(prediction.value, prediction.confidence, "learned", prediction.reason)
    if learned is not None and learned.confidence >= LEARNED_TRUSTED:
        candidates.append(learned)
    value = _offered(line.vendor, target)
    if value and line.vendor is not None:
        candidates.append(
            Suggestion(value, CONFIDENCE["vendor"], "vendor", f"Default of vendor {line.vendor.label}.")
        )
    if learned is not None and learned.confidence < LEARNED_TRUSTED:
        candidates.append(learned)
    ranked: list[Suggestion] = []
    for candidate in candidates:
        if all(candidate.value != kept.value for kept in ranked):
            ranked.append(candidate)
    return tuple(ranked)
