"""Speed-ups for the Rasa processes (server and training), applied by `afa.rasa_server` before Rasa starts.

Rasa 3.6 checks every action server reply and every NLG reply with `jsonschema.validate`, which first validates the
*schema* against its meta-schema and builds a new validator, on every call. A py-spy profile of REST turns put that
at 58 % of the Rasa process's CPU time (several custom actions and responses per turn). Training checks every
entity annotation of the NLU data the same way, on each of its five loads of the data: a cProfile of `rasa train`
on 7,928 examples put 68 s of 147 s there. `cached_validate` does the
same validation with the schema checked once and its validator reused: the same errors for the same replies.
"""
from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from jsonschema import exceptions, validators

_original_validate = jsonschema.validate


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> Any:
    schema = json.loads(schema_json)
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once per schema, where jsonschema.validate does it on every call
    return cls(schema)


def cached_validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
    """`jsonschema.validate` for a JSON-serialisable schema, with its validator built once."""
    if cls is not None or args or kwargs:
        return _original_validate(instance, schema, cls, *args, **kwargs)
    try:
        key = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return _original_validate(instance, schema)
    error = exceptions.best_match(_validator(key).iter_errors(instance))
    if error is not None:
        raise error
    return None


def install() -> None:
    """Rasa imports `validate` from `jsonschema` inside the functions that use it, so the package's own name is
    replaced (for this process only)."""
    jsonschema.validate = cached_validate
