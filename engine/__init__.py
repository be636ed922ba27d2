"""A policy-as-code engine for Swedish municipalities' social-media guidelines.

    from engine import Engine
    engine = Engine.load()
    decision = engine.decide("tyreso", "like_page", {"page_category": "commercial"})

The pipeline is parse (``dsl.parser``) → compile and check (``engine.compiler``) →
evaluate (``engine.evaluator``) → decide (``engine.decide``); ``engine.core`` ties the
steps together behind :class:`Engine`. Names are imported lazily so that ``policy --help``
and the error module do not pay for the whole engine.
"""

from typing import Any

__all__ = ["Engine", "Decision", "Request", "PolicyError", "RequestError", "parse_json"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from engine.core import Engine
        return Engine
    if name in ("Decision", "Request"):
        from engine import model
        return getattr(model, name)
    if name in ("PolicyError", "RequestError"):
        from engine import errors
        return getattr(errors, name)
    if name == "parse_json":   # JSON text read as the service and the command line read it
        from engine.json_input import parse_json
        return parse_json
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
