"""How much reading one YAML document may cost: the caps every reader of located nodes shares
(`Converter` for model types, `plain_value` for rule arguments and examples), so that a hostile
file stops at a budget instead of eating memory or time. What a deployment may declare, once
read, is capped apart (`format.limits`)."""

from __future__ import annotations

MAX_NODES = 200_000
MAX_CHARS = 10 * 1024 * 1024
"""Characters of text a document may expand to through aliases: ten times what a file may
hold (`loader.MAX_BYTES`). Each visit reads its value's text (line breaks, blanks), so 3,000
aliases of an 800 KB name cost 30 s while well within MAX_NODES values."""
MAX_DEPTH = 64
MAX_ERRORS = 1000
"""Errors recorded per file; past this, conversion stops (each one costs a "did you mean")."""
