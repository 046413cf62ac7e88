"""Every AWS operation qsdoctor may call. Anything else is refused before it is signed.

Keys are (botocore service name, operation name). qsdoctor is read-only: the list holds
reads, sts:AssumeRole (the live hops are the point) and nothing that changes an account.
cloudwatch:PutMetricData joins only in probe mode, when asked (`PROBE_METRICS`).
"""

from __future__ import annotations

READ_ONLY: frozenset[tuple[str, str]] = frozenset(
    {
        ("sts", "GetCallerIdentity"),
        ("sts", "AssumeRole"),
        ("iam", "GetRole"),
        ("iam", "ListRoles"),
        ("iam", "ListRolePolicies"),
        ("iam", "GetRolePolicy"),
        ("iam", "ListAttachedRolePolicies"),
        ("iam", "GetPolicy"),
        ("iam", "GetPolicyVersion"),
        ("iam", "SimulatePrincipalPolicy"),
        ("cloudtrail", "DescribeTrails"),
        ("cloudtrail", "GetTrailStatus"),
        ("cloudtrail", "GetEventSelectors"),
        ("cloudtrail", "LookupEvents"),
        ("s3", "ListObjectsV2"),
        ("s3", "GetObject"),
        ("secretsmanager", "GetSecretValue"),
        ("organizations", "DescribeOrganization"),
        ("organizations", "ListPoliciesForTarget"),
        ("organizations", "DescribePolicy"),
    }
)

#: Only `qsdoctor probe --metrics` adds this.
PROBE_METRICS: frozenset[tuple[str, str]] = frozenset({("cloudwatch", "PutMetricData")})


#: IAM permission names for docs/permissions.md, by which credentials need them.
def permission(service: str, operation: str) -> str:
    """The IAM action for an operation, e.g. ("s3", "ListObjectsV2") -> "s3:ListBucket"."""
    special = {("s3", "ListObjectsV2"): "s3:ListBucket"}
    return special.get((service, operation), f"{service}:{operation}")
