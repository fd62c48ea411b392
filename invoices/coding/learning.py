"""The learned coding model: what an organization coded before, for lines like this one. Pure.

Training turns past coded lines into counts, per entity (charts of accounts differ between entities) and
per target (the GL account, and each dimension type): how often each feature (a word of the
description, the vendor) went with each value. Prediction is a naive Bayes vote over the features the
new line shares with the past ones; its confidence is the vote's share scaled by how much evidence backs
it (one earlier line gives at most 0.67, three give 0.86).

The payload is plain JSON, stored as one versioned ``CodingModel`` row per training.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MODEL_FORMAT = 1
GL_ACCOUNT = "gl_account"
_SMOOTHING = 0.5
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOPWORDS = frozenset(
    {
        "the", "and", "for", "with", "from", "per", "inc", "ltd", "llc", "gmbh", "der", "die", "das", "und",
        "mit", "von", "fur", "les", "des", "pour", "avec", "une", "een", "het", "van", "voor",
    }
)  # fmt: skip
_VENDOR = "vendor:"


@dataclass(frozen=True)
class TrainingLine:
    entity_id: int
    vendor_id: int | None
    description: str
    gl_account: str  # GL account external id
    dimensions: Mapping[str, str]  # dimension type code -> value external id


@dataclass(frozen=True)
class Prediction:
    value: str
    confidence: float
    evidence: int
    features: tuple[str, ...]
    reason: str


def line_features(description: str, vendor_id: int | None) -> frozenset[str]:
    words = {word for word in _WORD.findall((description or "").lower()) if word not in _STOPWORDS}
    if vendor_id is not None:
        words.add(f"{_VENDOR}{vendor_id}")
    return frozenset(words)


def training_fingerprint(lines: Iterable[TrainingLine]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(
            json.dumps(
                [
                    line.entity_id,
                    line.vendor_id,
                    line.description,
                    line.gl_account,
                    sorted(line.dimensions.items()),
                ]
            ).encode()
        )
    return digest.hexdigest()


def coding_model_train(lines: Iterable[TrainingLine]) -> dict[str, Any]:
    """Count features per value, per entity and target. Returns the JSON payload."""
    entities: dict[str, dict[str, dict[str, Any]]] = {}
    total = 0
    for line in lines:
        total += 1
        features = line_features(line.description, line.vendor_id)
        targets = {GL_ACCOUNT: line.gl_account} if line.gl_account else {}
        targets.update({f"dimension:{code}": value for code, value in line.dimensions.items() if value})
        entity = entities.setdefault(str(line.entity_id), {})
        for target, value in targets.items():
            table = entity.setdefault(target, {"values": {}, "features": {}})
            table["values"][value] = table["values"].get(value, 0) + 1
            for feature in features:
                counts = table["features"].setdefault(feature, {})
                counts[value] = counts.get(value, 0) + 1
    return {"format": MODEL_FORMAT, "lines": total, "entities": entities}


def coding_predict(
    payload: Mapping[str, Any],
    *,
    entity_id: int,
    target: str,
    description: str,
    vendor_id: int | None,
    version: int,
) -> Prediction | None:
    """The most likely value of ``target`` ("gl_account" or "dimension:<code>") for a line, or None."""
    table = payload.get("entities", {}).get(str(entity_id), {}).get(target)
    if not table:
        return None
    features = [feature for feature in line_features(description, vendor_id) if feature in table["features"]]
    if not features:
        return None
    values: dict[str, int] = table["values"]
    candidates = {value for feature in features for value in table["features"][feature]}
    total = sum(values.values())
    scores = {}
    for value in candidates:
        count = values[value]
        score = math.log(count / total)
        for feature in features:
            seen = table["features"][feature].get(value, 0)
            score += math.log((seen + _SMOOTHING) / (count + 2 * _SMOOTHING))
        scores[value] = score
    best = max(scores, key=lambda value: (scores[value], value))
    peak = scores[best]
    share = 1 / sum(math.exp(score - peak) for score in scores.values())
    supporting = sorted(
        (feature for feature in features if table["features"][feature].get(best)),
        key=lambda feature: (-table["features"][feature][best], feature),
    )
    evidence = max(table["features"][feature][best] for feature in supporting)
    confidence = round(share * evidence / (evidence + 0.5), 3)
    return Prediction(
        value=best,
        confidence=confidence,
        evidence=evidence,
        features=tuple(supporting),
        reason=_reason(supporting, evidence, version),
    )


def _reason(features: list[str], evidence: int, version: int) -> str:
    words = [f"“{feature}”" for feature in features if not feature.startswith(_VENDOR)][:3]
    vendor = any(feature.startswith(_VENDOR) for feature in features)
    parts = []
    if vendor:
        parts.append("from this vendor")
    if words:
        parts.append("with " + ", ".join(words))
    lines = "earlier line" if evidence == 1 else "earlier lines"
    return f"Learned from {evidence} {lines} {' '.join(parts)} coded this way (model v{version})."
