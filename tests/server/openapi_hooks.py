"""schemathesis hooks for tests/server/test_openapi.py (loaded through SCHEMATHESIS_HOOKS).

Left to itself, schemathesis never gets a mutation into the push code: a generated push
names its one mutation id in every mutation (refused whole, 400) or holds no record the
declarations accept. So each generated push keeps what was generated, with its mutation
ids made distinct (the duplicate refusal is tested in test_crafted.py), and gains a new
account and one record hanging off it, built from the server's own declaration
(``fieldapp.domain.fields``, what ``server/validation.py`` checks) with text taken from
the generated body. The test then checks that pushes were answered per mutation and that
records were stored, so a broken push route fails it.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

from fieldapp.domain import fields, values

# Entities a pushed record may be of that need nothing but an account to hang off.
CHILDREN = ("contacts", "opportunities", "visits", "tasks", "notes", "leads")


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _text(seed: str, longest: int | None, fallback: str) -> str:
    shown = "".join(ch for ch in seed if ch.isprintable()).strip()
    return shown[: longest or 200].strip() or fallback


def valid_record(entity: str, account_id: str, seed: str) -> dict[str, Any]:
    """A new record of ``entity`` with its required fields filled as declared."""
    record: dict[str, Any] = {}
    spec = fields.SPECS[entity]
    for name in fields.required_fields(entity):
        rule = spec[name]
        if rule.references == "accounts":
            record[name] = account_id
        elif name == "stage":
            record[name] = values.DEFAULT_STAGES[0]
        elif rule.choices:
            record[name] = rule.choices[0]
        else:
            record[name] = _text(seed, rule.max_length, f"Fuzzed {name}")
    if "notes" in spec and "notes" not in record:  # free text: the generated seed as it is
        record["notes"] = _text(seed, spec["notes"].max_length, "")
    return record


def _insert(entity: str, row_id: str, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "mutation_id": str(uuid.uuid4()),
        "entity": entity,
        "row_id": row_id,
        "op": "insert",
        "changes": {"id": [None, row_id], **{k: [None, v] for k, v in record.items()}},
        "base_version": None,
    }


@schemathesis.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    operation = context.operation
    if operation is None or operation.path != "/sync/push" or not isinstance(body, dict):
        return body
    mutations = body.get("mutations")
    if not isinstance(mutations, list):
        return body
    seen: set[Any] = set()
    for m in mutations:
        if isinstance(m, dict) and isinstance(m.get("mutation_id"), str):
            if m["mutation_id"] in seen:
                m["mutation_id"] = str(uuid.uuid4())
            seen.add(m["mutation_id"])
    texts = _texts(mutations) or [""]
    account_id, child_id = str(uuid.uuid4()), str(uuid.uuid4())
    child = CHILDREN[len(texts) % len(CHILDREN)]
    body["mutations"] = [
        *mutations[:998],
        _insert("accounts", account_id, valid_record("accounts", account_id, texts[0])),
        _insert(child, child_id, valid_record(child, account_id, texts[-1])),
    ]
    return body
