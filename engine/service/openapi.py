"""The OpenAPI 3.0 description of the decision service, served at ``/openapi.json``.

Kept by hand beside ``engine.service.app``, except the request schemas, which are built
from the vocabulary (``engine.vocabulary``) and the packs being served, so that the
schema says exactly what the engine accepts: one schema per action with its facts,
their types, which are required, and that nothing else is. The test suite runs
schemathesis against the served document and the real responses.
"""

from __future__ import annotations

from typing import Any, Sequence

from engine import vocabulary as vocab
from engine.contract import contract_vocabulary

REF = "#/components/schemas/"

DATE = {"type": "string", "format": "date"}
DATETIME_PATTERN = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]"
                    r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?"
                    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$")
#: A request's "at": a date, or a time of day (null: now).
AT = {"nullable": True, "anyOf": [
    dict(DATE), {"type": "string", "pattern": DATETIME_PATTERN,
                 "description": "Swedish local time, or with a UTC offset"}]}
NULLABLE_STRING = {"type": "string", "nullable": True}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def fact_schema(t: vocab.Type) -> dict[str, Any]:
    """The JSON schema of one fact's values."""
    if t.kind == "bool":
        return {"type": "boolean"}
    if t.kind == "int":
        return {"type": "integer", "minimum": 0}
    if t.kind == "date":
        return dict(DATE)
    if t.kind == "datetime":
        return {"type": "string", "description": "Swedish local time as YYYY-MM-DDTHH:MM[:SS], "
                "or with a UTC offset", "pattern": DATETIME_PATTERN}
    if t.kind == "string":
        return {"type": "string"}
    if t.kind == "enum":
        return {"type": "string", "enum": list(t.values)}
    if t.kind == "set":
        assert t.element is not None
        return {"type": "array", "uniqueItems": True,
                "items": {"type": "string", "enum": list(t.element.values)}}
    raise AssertionError(t.kind)


def facts_schema(action: vocab.Action) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object", "additionalProperties": False,
        "description": action.meaning,
        "properties": {f.name: dict(fact_schema(f.type), description=f.meaning)
                       for f in action.facts}}
    required = [f.name for f in action.facts if f.required]
    if required:
        schema["required"] = required
    return schema


def _requires_facts(action: vocab.Action) -> bool:
    return any(f.required for f in action.facts)


def request_schema(action: vocab.Action, packs: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "object", "additionalProperties": False,
        "required": ["pack", "action", *(["facts"] if _requires_facts(action) else [])],
        "properties": {
            "pack": {"type": "string", "enum": list(packs)},
            "action": {"type": "string", "enum": [action.name]},
            "facts": _ref(f"Facts_{action.name}"),
            "at": dict(AT, description="The day decided at, or a moment with its time "
                                       "of day (default: now in Sweden)."),
        }}


# ---- AuthZEN --------------------------------------------------------------------------

def _entity(*required: str, name: str) -> dict[str, Any]:
    props: dict[str, Any] = {key: {"type": "string"} for key in required}
    props["properties"] = {"type": "object"}
    return {"type": "object", "required": list(required), "properties": props,
            "description": f"An AuthZEN {name}; fields not listed here are ignored."}


def _subject_naming_a_pack(packs: Sequence[str]) -> dict[str, Any]:
    """A subject that names one served pack, as ``engine.service.authzen`` reads it."""
    from engine.service.authzen import PACK_SUBJECT_TYPE
    by_id = [{"properties": {"type": {"enum": [PACK_SUBJECT_TYPE]}, "id": {"enum": [p]},
                             "properties": {"properties": {"pack": {"enum": [p]}}}}}
             for p in packs]
    by_property = {"required": ["properties"], "properties": {
        "type": {"not": {"enum": [PACK_SUBJECT_TYPE]}},
        "properties": {"required": ["pack"], "properties": {"pack": {"enum": list(packs)}}}}}
    return {"allOf": [_ref("AuthzenSubject"), {"anyOf": [*by_id, by_property]}]}


def _action_and_facts(vocabulary: vocab.Vocabulary) -> dict[str, Any]:
    """An action named with its facts as the resource's properties."""
    branches = []
    for action in vocabulary.actions.values():
        resource: dict[str, Any] = {"properties": {"properties": _ref(f"Facts_{action.name}")}}
        if _requires_facts(action):
            resource["required"] = ["properties"]
        branches.append({"required": ["action", "resource"], "properties": {
            "action": {"properties": {"name": {"enum": [action.name]}}},
            "resource": resource}})
    return {"anyOf": branches}


def _parts_somewhere() -> dict[str, Any]:
    """Each of subject, action and resource given at the top or by every evaluation."""
    return {"allOf": [
        {"anyOf": [{"required": [key]},
                   {"properties": {"evaluations": {"items": {"required": [key]}}}}]}
        for key in ("subject", "action", "resource")]}


def authzen_schemas(packs: Sequence[str], max_items: int,
                    vocabulary: vocab.Vocabulary) -> dict[str, Any]:
    context = {"type": "object", "nullable": True,
               "description": "Only \"at\" (YYYY-MM-DD, the date decided at, or "
                              "YYYY-MM-DDTHH:MM with its time of day) is read; other keys are "
                              "recorded in the decision log. null is no context.",
               "properties": {"at": dict(AT)}}
    evaluation = {
        "allOf": [{"type": "object", "required": ["subject", "action", "resource"],
                   "properties": {"subject": _subject_naming_a_pack(packs),
                                  "action": _ref("AuthzenAction"),
                                  "resource": _ref("AuthzenResource"),
                                  "context": _ref("AuthzenContext")}},
                  _action_and_facts(vocabulary)]}
    item = {"type": "object", "properties": {
        "subject": _ref("AuthzenSubject"), "action": _ref("AuthzenAction"),
        "resource": _ref("AuthzenResource"), "context": _ref("AuthzenContext")}}
    evaluations = {
        "anyOf": [
            {"allOf": [{"type": "object", "required": ["evaluations"], "properties": {
                "subject": _ref("AuthzenSubject"), "action": _ref("AuthzenAction"),
                "resource": _ref("AuthzenResource"), "context": _ref("AuthzenContext"),
                "evaluations": {"type": "array", "minItems": 1, "maxItems": max_items,
                                "items": item},
                "options": _ref("AuthzenOptions")}}, _parts_somewhere()]},
            {"allOf": [_ref("AuthzenEvaluationRequest"), {"properties": {
                "evaluations": {"type": "array", "maxItems": 0, "nullable": True},
                "options": _ref("AuthzenOptions")}}]},
        ]}
    answer = {"type": "object", "required": ["decision", "context"], "properties": {
        "decision": {"type": "boolean", "description": "true only for the outcome allow"},
        "context": {"oneOf": [_ref("Decision"), {
            "type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "code", "message", "path"],
                "properties": {"status": {"type": "integer"}, "code": {"type": "string"},
                               "message": {"type": "string"}, "path": NULLABLE_STRING}}}}]}}}
    return {
        "AuthzenSubject": _entity("type", "id", name="subject"),
        "AuthzenAction": _entity("name", name="action"),
        "AuthzenResource": _entity("type", "id", name="resource"),
        "AuthzenContext": context,
        "AuthzenOptions": {"type": "object", "nullable": True, "properties": {
            "evaluations_semantic": {
                "type": "string",
                "enum": ["execute_all", "deny_on_first_deny", "permit_on_first_permit"]}}},
        "AuthzenEvaluationRequest": evaluation,
        "AuthzenEvaluationsRequest": evaluations,
        "AuthzenAnswer": answer,
        "AuthzenAnswers": {"type": "object", "required": ["evaluations"], "properties": {
            "evaluations": {"type": "array", "items": _ref("AuthzenAnswer")}}},
    }


# ---- responses --------------------------------------------------------------------------

def response_schemas() -> dict[str, Any]:
    source = {"type": "object", "required": ["pack", "section"],
              "properties": {"pack": {"type": "string"}, "section": NULLABLE_STRING}}
    level = {"type": "string", "enum": ["must", "should"]}
    problem = {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "file": NULLABLE_STRING,
        **{k: {"type": "integer", "nullable": True}
           for k in ("line", "column", "end_line", "end_column")}}}
    nullable_int = {"type": "integer", "nullable": True}
    return {
        "Source": source,
        "Step": {"type": "object", "required": ["id", "text", "by", "level", "source"],
                 "properties": {"id": {"type": "string"}, "text": {"type": "string"},
                                "by": NULLABLE_STRING, "level": level,
                                "source": _ref("Source")}},
        "Reason": {"type": "object", "required": ["rule", "effect", "level", "text", "source"],
                   "properties": {"rule": {"type": "string"},
                                  "effect": {"type": "string",
                                             "enum": ["allow", "deny", "require"]},
                                  "level": {**level, "enum": ["must", "should", None], "nullable": True,
                                            "description": "null for the pack default's "
                                            "reason: no sentence binds it"},
                                  "text": {"type": "string"},
                                  "source": _ref("Source")}},
        "Decision": {
            "type": "object",
            "required": ["pack", "action", "outcome", "steps", "reasons", "by_default",
                         "pack_version", "at"],
            "properties": {
                "pack": {"type": "string"}, "action": {"type": "string"},
                "outcome": {"type": "string", "enum": ["allow", "deny", "required_steps"]},
                "steps": {"type": "array", "items": _ref("Step")},
                "reasons": {"type": "array", "items": _ref("Reason")},
                "by_default": {"type": "boolean"},
                "pack_version": {"type": "string"}, "at": DATE,
                "in_force_from": dict(DATE, nullable=True, description=(
                    "The first day of the pack edition that decided (pack_version); null "
                    "when the edition is undated and applies on any day."))}},
        "Decisions": {"type": "object", "required": ["decisions"], "properties": {
            "decisions": {"type": "array", "items": _ref("Decision")}}},
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "path"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "path": NULLABLE_STRING}}}},
        "Problem": problem,
        "Pack": {"type": "object", "required": ["id", "status", "errors"], "properties": {
            "id": NULLABLE_STRING, "status": {"type": "string", "enum": ["ok", "error"]},
            "name": NULLABLE_STRING, "version": NULLABLE_STRING, "document": NULLABLE_STRING,
            "dated": dict(DATE, nullable=True), "rules": nullable_int,
            "origin": NULLABLE_STRING, "plugin": NULLABLE_STRING,
            "distribution": NULLABLE_STRING, "digest": NULLABLE_STRING,
            "loaded_at": {"type": "string", "format": "date-time", "nullable": True},
            "failed_at": {"type": "string", "format": "date-time", "nullable": True},
            "errors": {"type": "array", "items": _ref("Problem")},
            "editions": {"type": "array", "items": {
                "type": "object", "required": ["version", "in_force_from", "in_force_until",
                                               "origin"],
                "properties": {"version": {"type": "string"},
                               "in_force_from": dict(DATE, nullable=True),
                               "in_force_until": dict(DATE, nullable=True),
                               "origin": {"type": "string"}}}},
            "parts": {"type": "array", "description": "the pages of a guideline published "
                      "as several", "items": {
                          "type": "object", "required": ["title", "dated"],
                          "properties": {"title": {"type": "string"},
                                         "dated": dict(DATE, nullable=True)}}}}},
        "Packs": {"type": "object", "required": ["packs"], "properties": {
            "packs": {"type": "array", "items": _ref("Pack")}}},
        "Comparison": {"type": "object", "required": ["topics"], "properties": {"topics": {
            "type": "array", "items": {
                "type": "object", "required": ["id", "title", "values"], "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"},
                    "values": {"type": "object", "additionalProperties": {
                        "type": "object", "required": ["value", "summary", "source"],
                        "properties": {"value": {"nullable": True},
                                       "summary": NULLABLE_STRING,
                                       "source": NULLABLE_STRING}}}}}}}},
        "Health": {"type": "object", "required": ["status", "packs", "failed", "generation"],
                   "properties": {"status": {"type": "string", "enum": ["ok"]},
                                  "packs": {"type": "integer"}, "failed": {"type": "integer"},
                                  "generation": {"type": "integer"}}},
        "AuthzenConfiguration": {
            "type": "object",
            "required": ["policy_decision_point", "access_evaluation_endpoint",
                         "access_evaluations_endpoint"],
            "properties": {k: {"type": "string"} for k in (
                "policy_decision_point", "access_evaluation_endpoint",
                "access_evaluations_endpoint")}},
    }


_ERRORS = {
    "400": "The body is not JSON (syntax, UTF-8, a key twice, empty); for AuthZEN, any "
           "request it cannot read.",
    "401": "No bearer token, or a wrong one (only when the service has tokens).",
    "404": "An unknown pack (the message lists the packs).",
    "413": "The body is larger than the service takes.",
    "422": "Well-formed JSON that is not a valid request; `path` points at the problem.",
    "503": "The request names a pack that failed to load and has no good version.",
}


def _responses(ok: str, schema: str, *errors: str) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {
        "description": ok, "headers": {"X-Request-ID": {"$ref": "#/components/headers/RequestId"}},
        "content": {"application/json": {"schema": _ref(schema)}}}}
    for code in errors:
        out[code] = {"$ref": f"#/components/responses/E{code}"}
    return out


def _post(summary: str, body: str, ok: str, schema: str, *errors: str) -> dict[str, Any]:
    return {"post": {
        "summary": summary,
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref(body)}}},
        "responses": _responses(ok, schema, "400", "401", "413", *errors)}}


def document(packs: Sequence[str], max_batch: int = 1000, bearer: bool = False,
             vocabulary: vocab.Vocabulary | None = None) -> dict[str, Any]:
    """The OpenAPI document for a service serving ``packs`` (their ids) in ``vocabulary``
    (the serving engine's, with its plugins' actions and facts; default the contract's).

    ``max_batch`` is the most requests a batch takes; ``bearer`` says the service asks
    for a bearer token. The service hands these over: this module never imports it.
    """
    words = vocabulary or contract_vocabulary()
    schemas: dict[str, Any] = {}
    for action in words.actions.values():
        schemas[f"Facts_{action.name}"] = facts_schema(action)
        schemas[f"Request_{action.name}"] = request_schema(action, packs)
    schemas["DecideRequest"] = {"oneOf": [_ref(f"Request_{a}") for a in words.actions]}
    schemas["BatchRequest"] = {
        "type": "object", "required": ["requests"], "additionalProperties": False,
        "properties": {"requests": {"type": "array", "maxItems": max_batch,
                                    "items": _ref("DecideRequest")}}}
    schemas.update(response_schemas())
    schemas.update(authzen_schemas(packs, max_batch, words))
    error = {"application/json": {"schema": _ref("Error")}}
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "policy-engine decision service", "version": "1",
                 "description": "Decisions on Swedish municipalities' social-media guidelines "
                                "(see docs/service.md)."},
        "paths": {
            "/v1/decide": _post("Decide one request", "DecideRequest", "The decision",
                                "Decision", "404", "422", "503"),
            "/v1/decide/batch": _post("Decide several requests, in order; all or none",
                                      "BatchRequest", "The decisions, in request order",
                                      "Decisions", "404", "422", "503"),
            "/v1/packs": {"get": {"summary": "The packs and their state",
                                  "responses": _responses("The packs", "Packs", "401")}},
            "/v1/packs/{pack_id}": {"get": {
                "summary": "One pack: the version serving and the latest load error",
                "parameters": [{"name": "pack_id", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": list(packs)}}],
                "responses": _responses("The pack", "Pack", "401", "404")}},
            "/v1/explain": {"get": {
                "summary": "The packs side by side on the guideline topics, each by its "
                           "edition in force on the day (a pack with none is left out)",
                "parameters": [{"name": "at", "in": "query", "required": False,
                                "schema": {"type": "string", "format": "date"},
                                "description": "The day (default today)"}],
                "responses": _responses("The comparison", "Comparison", "401", "422")}},
            "/healthz": {"get": {"summary": "Liveness (never needs a token)", "security": [],
                                 "responses": _responses("Serving", "Health")}},
            "/openapi.json": {"get": {"summary": "This document", "responses": {
                "200": {"description": "OpenAPI 3.0",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                "401": {"$ref": "#/components/responses/E401"}}}},
            "/access/v1/evaluation": _post(
                "AuthZEN Access Evaluation (see docs/service.md for the mapping)",
                "AuthzenEvaluationRequest", "decision true only for allow; context is the "
                "decision", "AuthzenAnswer", "404", "503"),
            "/access/v1/evaluations": _post(
                "AuthZEN Access Evaluations", "AuthzenEvaluationsRequest",
                "One answer per evaluation (or one answer without a list)",
                "AuthzenResult", "404", "503"),
            "/.well-known/authzen-configuration": {"get": {
                "summary": "AuthZEN policy decision point metadata",
                "responses": _responses("The endpoints", "AuthzenConfiguration", "401")}},
        },
        "components": {
            "schemas": schemas,
            "headers": {"RequestId": {
                "description": "The client's X-Request-ID, or one made for the request; the "
                               "decision log records it.",
                "schema": {"type": "string"}}},
            "responses": {f"E{code}": {"description": text, "content": error}
                          for code, text in _ERRORS.items()},
        },
    }
    schemas["AuthzenResult"] = {"oneOf": [_ref("AuthzenAnswers"), _ref("AuthzenAnswer")]}
    if bearer:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
    return doc
