"""Money is a decimal string in the OpenAPI schema (docs/money.md): the whole document served at
/api/v1/schema/ is walked, components and inline schemas, request and response, parameters
included, and any field named like money that is typed as a JSON number fails, by its path.
The responses themselves are checked in tests/reports/test_api_money.py and
tests/licensing/test_api_money.py."""

import re

import pytest
from django.test import Client

# A field is money when a word of its name is one of these (words split at "_").
MONEY_WORDS = {
    "amount",
    "amounts",
    "price",
    "prices",
    "total",
    "totals",
    "subtotal",
    "penalty",
    "penalties",
    "surcharge",
    "surcharges",
    "cost",
    "costs",
    "charge",
    "charges",
    "charged",
    "fee",
    "fees",
    "tax",
    "taxes",
    "vat",
    "money",
    "balance",
    "credit",
    "credited",
    "debit",
    "refund",
    "discount",
}
# Names with a money word that are not money, and why.
NOT_MONEY = {
    "cost_center": "the id of a cost center",
}
# Identifiers and counts are whole numbers whatever they identify or count ("cost_center_id",
# "penalty_count").
NOT_MONEY_LAST_WORDS = {"id", "ids", "count", "counts"}

# Every money field of the API today, with its places: amounts to the cent, unit prices as
# stored (four places: a price may hold fractions of a cent).
KNOWN_MONEY = {
    "UsageReport": {"amount": 2},
    "UsageReportDetail": {"amount": 2},
    "Line": {"amount": 2, "unit_price": 4},
    "PenaltyPreview": {"total": 2},
    "Penalty": {"reset_amount": 2, "surcharge": 2, "total": 2},
    "AccountSettings": {"penalty_minimum": 2},
    "AccountSettingsWriteRequest": {"penalty_minimum": 2},
    "PatchedAccountSettingsWriteRequest": {"penalty_minimum": 2},
    "Product": {"unit_price": 4},
    "ProductSummary": {"unit_price": 4},
    "ProductWriteRequest": {"unit_price": 4},
    "PatchedProductWriteRequest": {"unit_price": 4},
    "TrueUp": {"amount": 2},
    "TrueUpCharge": {"unit_price": 4, "amount": 2},
    "Purchase": {"total": 2},
    "PurchaseDetail": {"total": 2},
    "PurchaseLine": {"unit_price": 4, "total": 2},
    # Invoices: amounts to the cent; a line's unit price as stored (eight places: proration's daily
    # rate is cut there).
    "Invoice": {"subtotal": 2, "tax": 2, "total": 2, "credited": 2, "left_to_credit": 2},
    "InvoiceDetail": {"subtotal": 2, "tax": 2, "total": 2, "credited": 2, "left_to_credit": 2},
    "InvoiceLine": {"unit_price": 8, "amount": 2, "tax": 2},
    "CreditNote": {"subtotal": 2, "tax": 2, "total": 2},
    "CreditNoteDetail": {"subtotal": 2, "tax": 2, "total": 2},
    "CreditNoteLine": {"amount": 2, "tax": 2},
}
# Percentages are decimal strings too (our choice: they feed money computations).
KNOWN_PERCENT = {
    "AccountSettings": {"penalty_percent": 2},
    "AccountSettingsWriteRequest": {"penalty_percent": 2},
    "Line": {"over_provisioned_percent": 1},
    "Invoice": {"tax_rate_percent": 3},
}


def is_money_name(name: str) -> bool:
    words = re.split(r"[^a-z0-9]+", name.lower())
    if name in NOT_MONEY or words[-1] in NOT_MONEY_LAST_WORDS:
        return False
    return bool(set(words) & MONEY_WORDS)


def json_types(schema, document, seen=frozenset()) -> set[str]:
    """The JSON types a schema allows, following $ref, allOf/anyOf/oneOf and array items (an
    array of numbers is numbers on the wire)."""
    if not isinstance(schema, dict):
        return set()
    found = set()
    ref = schema.get("$ref")
    if ref and ref not in seen:
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        found |= json_types(target, document, seen | {ref})
    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1
        found |= set(kind)
    elif kind:
        found.add(kind)
    for combined in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(combined, []):
            found |= json_types(part, document, seen)
    if "items" in schema:
        found |= json_types(schema["items"], document, seen)
    return found


def money_fields(document) -> list[tuple[str, set[str]]]:
    """(path, JSON types) of every property and parameter named like money, anywhere."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                for name, prop in properties.items():
                    if is_money_name(name):
                        found.append((f"{path}/properties/{name}", json_types(prop, document)))
            if {"in", "name", "schema"} <= node.keys() and is_money_name(node["name"]):
                found.append((f"{path}[parameter {node['name']}]", json_types(node["schema"], document)))
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}/{index}")

    walk(document, "#")
    return found


def numbers_among(fields) -> list[str]:
    return [f"{path}: {sorted(types)}" for path, types in fields if types & {"number", "integer"}]


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    """The OpenAPI document, read once for the module's tests (it takes 0.15 s to build)."""
    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_no_money_field_of_the_schema_is_a_number(schema):
    fields = money_fields(schema)
    assert numbers_among(fields) == []
    # The walk reached inline schemas and components alike: every known field was seen.
    seen = {path for path, _types in fields}
    for component, names in KNOWN_MONEY.items():
        for name in names:
            assert f"#/components/schemas/{component}/properties/{name}" in seen


def test_the_walk_finds_a_number_wherever_it_hides():
    """The check above cannot pass on nothing: the shape the line amount had (number/double),
    an array of numbers, a $ref to a number, a number parameter and a nested inline object are
    each reported; a cost center and an id are not money."""
    document = {
        "paths": {
            "/x/": {
                "get": {
                    "parameters": [{"in": "query", "name": "min_amount", "schema": {"type": "number"}}],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "nested": {
                                                "type": "object",
                                                "properties": {"tax": {"type": ["number", "null"]}},
                                            },
                                            "cost_center": {"type": "integer"},
                                            "charge_id": {"type": "integer"},
                                        },
                                    }
                                }
                            }
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Line": {
                    "properties": {
                        "amount": {"type": "number", "format": "double", "readOnly": True},
                        "unit_price": {"type": "string", "format": "decimal"},
                        "fees": {"type": "array", "items": {"type": "integer"}},
                        "penalty_total": {"allOf": [{"$ref": "#/components/schemas/Cents"}]},
                    }
                },
                "Cents": {"type": "integer"},
            }
        },
    }
    assert sorted(numbers_among(money_fields(document))) == [
        "#/components/schemas/Line/properties/amount: ['number']",
        "#/components/schemas/Line/properties/fees: ['array', 'integer']",
        "#/components/schemas/Line/properties/penalty_total: ['integer']",
        "#/paths//x//get/parameters/0[parameter min_amount]: ['number']",
        "#/paths//x//get/responses/200/content/application/json/schema/properties/nested/properties/tax: "
        "['null', 'number']",
    ]


@pytest.mark.parametrize(
    "component, name, places",
    [
        (c, n, p)
        for table in (KNOWN_MONEY, KNOWN_PERCENT)
        for c, names in table.items()
        for n, p in names.items()
    ],
)
def test_known_money_fields_are_decimal_strings_with_their_places(schema, component, name, places):
    prop = schema["components"]["schemas"][component]["properties"][name]
    assert (prop["type"], prop["format"]) == ("string", "decimal")
    assert prop["pattern"].endswith(rf"(?:\.\d{{0,{places}}})?$"), prop["pattern"]
