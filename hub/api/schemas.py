"""What the partner API accepts and returns (marshmallow), and so what its OpenAPI says."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from hub.gate.gate import MAX_PER_PAGE
from hub.vocabulary import Category, Classification, LegalBasis


class Strict(Schema):
    class Meta:
        unknown = RAISE  # an unknown field is a mistake the caller should hear about


class CaseListArgs(Strict):
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": "cases per page"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "next_cursor of the previous page; omit for the first"},
    )


class RecordView(Schema):
    """One record as the reader may see it: the fields returned, and why others are not."""

    id = fields.UUID(required=True)
    type = fields.String(required=True, metadata={"description": "case, person or item"})
    category = fields.String(allow_none=True, metadata={"description": "an item's category"})
    returned = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        required=True,
        data_key="fields",  # the attribute cannot shadow marshmallow's `fields` module
        metadata={"description": "the fields the policy lets this reader see"},
    )
    withheld = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "each withheld field, with the plain-English reason"},
    )


class CaseRead(Schema):
    case = fields.Nested(RecordView, required=True)
    person = fields.Nested(RecordView, allow_none=True, required=True)
    items = fields.List(fields.Nested(RecordView), required=True)


class CaseList(Schema):
    cases = fields.List(fields.Nested(RecordView), required=True)
    total = fields.Integer(
        required=True, metadata={"description": "cases this reader may list (capped)"}
    )
    total_exact = fields.Boolean(
        required=True, metadata={"description": "false when there are more than total"}
    )
    next_cursor = fields.String(allow_none=True, required=True)


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))


def view_document(view: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "type": view.type,
        "category": view.category,
        "returned": view.fields,
        "withheld": view.withheld,
    }


def _one_of(values: type[StrEnum]) -> validate.OneOf:
    return validate.OneOf([v.value for v in values])


class ItemCreate(Strict):
    category = fields.String(required=True, validate=_one_of(Category))
    legal_basis = fields.String(required=True, validate=_one_of(LegalBasis))
    title = fields.String(required=True, validate=validate.Length(1, 200))
    content = fields.String(required=True, validate=validate.Length(1, 100_000))
    classification = fields.String(
        load_default="OFFICIAL_SENSITIVE", validate=_one_of(Classification)
    )
    originator_control = fields.Boolean(load_default=False)
    source_reference = fields.String(load_default=None, validate=validate.Length(1, 200))
    review_by = fields.Date(load_default=None)
    named_agency_ids = fields.List(fields.UUID(), load_default=list)


class ItemEdit(Strict):
    title = fields.String(validate=validate.Length(1, 200))
    content = fields.String(validate=validate.Length(1, 100_000))
    classification = fields.String(validate=_one_of(Classification))
    legal_basis = fields.String(validate=_one_of(LegalBasis))
    review_by = fields.Date(allow_none=True)


class ItemRead(RecordView):
    version = fields.Integer(dump_only=True)


class Annotation(Strict):
    text = fields.String(required=True, validate=validate.Length(1, 10_000))


class Written(Schema):
    """What a write returns: ids and the new version, never content."""

    id = fields.UUID(required=True)
    case_id = fields.UUID(required=True)
    item_id = fields.UUID()
    version = fields.Integer()
