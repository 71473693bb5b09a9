"""Exceptions. Findings are data and are never raised; these are for audits that cannot finish."""

from __future__ import annotations

from collections.abc import Iterable

from residency_audit.model import Diagnostic, Span


class AuditError(Exception):
    """Root of every error the CLI turns into exit code 2."""


class InputError(AuditError):
    """One or more problems in an input file, each with its place."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    @classmethod
    def at(cls, span: Span, message: str) -> InputError:
        return cls([Diagnostic(span, message)])


class RuleError(InputError):
    """A rule file that cannot be loaded (unknown key, operator, law id...)."""


class KnowledgeBaseError(InputError):
    """The bundled or a user-supplied knowledge-base file is invalid."""


class UsageError(AuditError):
    """A command-line option that cannot be honoured."""


class ResourceError(AuditError):
    """The machine refused what the run needs (a temporary file, disk space)."""


class CollectorError(AuditError):
    """A collector could not run at all (as opposed to partial access, which is a finding)."""


class RiskModelError(InputError):
    """A transfer-risk model file, or a deployment's risk overrides, that cannot be used."""
