"""Where the JSON Schema of the JSON result lives (`residency-audit schema --result`).

`result.schema.json` is written by hand, beside `json.py` and `jsonitems.py`, which write what it
describes; tests/reporters/test_result_schema.py validates the results of varied runs against it,
so a key added to the result without its place in the schema fails there (objects forbid keys
they do not list).
"""

from pathlib import Path

RESULT_SCHEMA = Path(__file__).with_name("result.schema.json")
"""Its `$id` carries the result format's version: `https://residency-audit.example.org/schemas/result-1.json`."""
