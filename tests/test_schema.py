"""Published JSON Schemas (issue 15, item 5): outcome.json and the JSON exports validate against
docs/schema/, and a field the code writes that the schema does not describe fails here by its path, so
whoever adds a field to outcome.json (congress/lifecycle/outcome.py) adds it to the schema too."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from congress import workbooks
from congress.followup import operations as fo
from congress.followup import reports, sweeper
from congress.lifecycle.outcome import SCHEMA, build_outcome
from tests.audit_support import built_fixture  # noqa: F401 (a fixture)

REPO = Path(__file__).resolve().parents[1]
OUTCOME_SCHEMA = json.loads((REPO / "docs" / "schema" / "outcome-1.schema.json").read_text(encoding="utf-8"))
EXPORT_SCHEMA = json.loads((REPO / "docs" / "schema" / "export-1.schema.json").read_text(encoding="utf-8"))


def undescribed(instance: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Every field of `instance` (by its JSON path) that `schema` does not describe."""
    found: list[str] = []
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        if option.get("type") == "object" and isinstance(instance, dict):
            return undescribed(instance, option, path)
    if isinstance(instance, dict) and "properties" in schema:
        for key, value in instance.items():
            if key in schema["properties"]:
                found += undescribed(value, schema["properties"][key], f"{path}.{key}")
            elif not isinstance(schema.get("additionalProperties", False), dict):
                found.append(f"{path}.{key}")
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(instance):
            found += undescribed(item, schema["items"], f"{path}[{i}]")
    return found


def check(instance: dict[str, Any], schema: dict[str, Any], name: str) -> None:
    missing = sorted({re_index(p) for p in undescribed(instance, schema)})
    assert not missing, (f"{name} has fields docs/schema does not describe — add each to the schema (version 1 "
                         f"may grow, never change): {', '.join(missing)}")
    errors = sorted(jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
                    .iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{name} at {e.json_path}: {e.message}" for e in errors)


def re_index(path: str) -> str:
    """$.steps[3].status → $.steps[].status: one line per field, not per item."""
    import re

    return re.sub(r"\[\d+\]", "[]", path)


def test_the_schemas_are_valid_json_schemas_and_name_their_version():
    for schema in (OUTCOME_SCHEMA, EXPORT_SCHEMA):
        jsonschema.Draft202012Validator.check_schema(schema)
    assert OUTCOME_SCHEMA["properties"]["schema"]["const"] == SCHEMA
    assert EXPORT_SCHEMA["properties"]["schema"]["const"] == workbooks.EXPORT_SCHEMA
    formats = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    assert "docs/schema/outcome-1.schema.json" in formats or "schema/outcome-1.schema.json" in formats


def test_a_field_the_schema_lacks_is_named_by_its_path():
    outcome = {"schema": SCHEMA, "session": {"key": "k", "extra": 1}, "steps": [{"step": "plan", "new": True}]}
    assert undescribed(outcome, OUTCOME_SCHEMA) == ["$.session.extra", "$.steps[0].new"]
    with pytest.raises(AssertionError, match=r"\$\.session\.extra, \$\.steps\[\]\.new"):
        check(outcome, OUTCOME_SCHEMA, "outcome.json")


def test_outcome_json_of_a_completed_session_follows_the_schema(built):
    outcome = json.loads((built.output / "outcome.json").read_text(encoding="utf-8"))
    assert outcome["session"]["state"] == "completed" and outcome["elections"] and outcome["votes"]
    check(outcome, OUTCOME_SCHEMA, "outcome.json")


def test_outcome_of_a_session_just_loaded_follows_the_schema(db, load_sample):
    outcome = json.loads(json.dumps(build_outcome(db, load_sample()), ensure_ascii=False))
    assert outcome["quorum"] is None
    outcome["audit_chain"] = {"chain": 1, "seq": 0, "hash": "0" * 64}  # what finalize adds
    check(outcome, OUTCOME_SCHEMA, "outcome.json (planned)")


def test_the_json_exports_follow_their_schema(db, settings, load_sample):
    session = load_sample()
    township = session.term.township
    fo.hand_over(db, township=township, on=date(2026, 12, 24), actor="presidium", settings=settings)
    today = date(2027, 6, 1)
    rows = sweeper.overdue_rounds(db, township, today=today)
    assert rows
    overdue = workbooks.export_json(reports.overdue_sheets(rows, township=township, today=today), kind="overdue",
                                    title=reports.overdue_title(township), created=datetime(2027, 6, 1, 9))
    assert [c["type"] for c in overdue["sheets"][0]["columns"]][5:8] == ["date", "date", "number"]
    check(json.loads(json.dumps(overdue, ensure_ascii=False)), EXPORT_SCHEMA, "export overdue")
    county = workbooks.export_json(workbooks.county_sheets(db), kind="county", title=workbooks.COUNTY_TITLE,
                                   created=datetime(2027, 6, 1, 9))
    assert county["sheets"][0]["rows"][0][0] == "qingshan"
    check(json.loads(json.dumps(county, ensure_ascii=False)), EXPORT_SCHEMA, "export county")
