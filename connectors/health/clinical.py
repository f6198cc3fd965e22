"""Summaries of the clinical resources the hub holds: the provider's own words, kept short.

Full records are not shared (domain.md §5): the item says what the resource says about risk,
engagement or treatment, and no more than the resource itself carries.
"""

from __future__ import annotations

from typing import Any


def describe(resource: Any) -> tuple[str, str]:
    kind = resource.get_resource_type()
    notes = [n.text for n in (resource.note or []) if getattr(n, "text", None)]
    if kind == "Observation":
        title = f"Observation: {concept(resource.code)}"
        lines = [f"Status: {resource.status}", f"Value: {_value(resource)}"]
        if resource.effectiveDateTime is not None:
            lines.append(f"Observed: {resource.effectiveDateTime}")
        lines += [f"Interpretation: {concept(i)}" for i in resource.interpretation or []]
    elif kind == "Condition":
        title = f"Condition: {concept(resource.code)}"
        lines = []
        if resource.clinicalStatus is not None:
            lines.append(f"Clinical status: {concept(resource.clinicalStatus)}")
        if resource.onsetDateTime is not None:
            lines.append(f"Onset: {resource.onsetDateTime}")
    else:
        title = f"Care plan: {resource.title or concept((resource.category or [None])[0])}"
        lines = [f"Status: {resource.status}", f"Intent: {resource.intent}"]
        if resource.description:
            lines.append(resource.description)
        if resource.period is not None:
            lines.append(f"Period: {resource.period.start} to {resource.period.end or 'open'}")
        for activity in resource.activity or []:
            detail = activity.detail
            if detail is not None and detail.description:
                lines.append(f"- {detail.description}")
    lines += [f"Note: {n}" for n in notes]
    return title, "\n".join(lines)


def concept(value: Any) -> str:
    if value is None:
        return "unspecified"
    if value.text:
        return str(value.text)
    for coding in value.coding or []:
        if coding.display or coding.code:
            return str(coding.display or coding.code)
    return "unspecified"


def _value(observation: Any) -> str:
    if observation.valueString is not None:
        return str(observation.valueString)
    if observation.valueQuantity is not None:
        quantity = observation.valueQuantity
        return f"{quantity.value} {quantity.unit or ''}".strip()
    if observation.valueCodeableConcept is not None:
        return concept(observation.valueCodeableConcept)
    if observation.valueBoolean is not None:
        return "yes" if observation.valueBoolean else "no"
    return "not recorded"
