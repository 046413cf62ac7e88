"""The IAM policy engine: parse policies, decide requests, and analyse trust and scope.

Pure: no AWS calls, files, environment or clock. Every qsdoctor check that needs a
policy decision asks this package; nothing else evaluates policies.
"""

from __future__ import annotations

from qsdoctor.policy.analysis import (
    condition_keys_deciding,
    condition_problems,
    condition_requirements,
    principal_condition_verdict,
)
from qsdoctor.policy.batch import batch_exit_code, evaluate_batch
from qsdoctor.policy.document import Policy, Statement, parse_policy
from qsdoctor.policy.evaluate import evaluate
from qsdoctor.policy.external_id import (
    ExternalIdGuard,
    ExternalIdRequirement,
    external_id_guards,
    external_id_requirement,
)
from qsdoctor.policy.matching import action_matches, arn_matches
from qsdoctor.policy.model import (
    ConditionRequirement,
    Decision,
    EvaluationResult,
    LayerVerdict,
    PrincipalEntry,
    Request,
    ScopeClassification,
    StatementRef,
)
from qsdoctor.policy.principals import (
    admitting_statements,
    naming_statements,
    principal_entries,
    unconditional_denies,
)
from qsdoctor.policy.scope import classify_assume_scope, extra_permissions

__all__ = [
    "ConditionRequirement",
    "Decision",
    "EvaluationResult",
    "ExternalIdGuard",
    "ExternalIdRequirement",
    "LayerVerdict",
    "Policy",
    "PrincipalEntry",
    "Request",
    "ScopeClassification",
    "Statement",
    "StatementRef",
    "action_matches",
    "admitting_statements",
    "arn_matches",
    "batch_exit_code",
    "classify_assume_scope",
    "condition_keys_deciding",
    "condition_problems",
    "condition_requirements",
    "evaluate",
    "evaluate_batch",
    "external_id_guards",
    "external_id_requirement",
    "extra_permissions",
    "naming_statements",
    "parse_policy",
    "principal_condition_verdict",
    "principal_entries",
    "unconditional_denies",
]
