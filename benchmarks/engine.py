"""Policy-engine throughput: decisions per second for a realistic hop-1 request.

The request is the reference's: a support-engineer session in the production account
assumes the intermediate role with an External ID. The caller carries three identity
policies and a permissions boundary; the role's trust policy is the reference's
(with a real-looking External ID in place of the placeholder).

Run: python benchmarks/engine.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from qsdoctor.policy import Decision, Request, evaluate, parse_policy

EXTERNAL_ID = "Zq3vN8rT1xLm5Kp0Wc7Ys2Hd9Gf4Jb6A"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::684035162433:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
        }
    ],
}
IDENTITY: list[dict[str, Any]] = [
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AssumeCustomerIntermediates",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": "arn:aws:iam::*:role/QuiverstoneTrustedIntermediate",
            }
        ],
    },
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TagAndTrace",
                "Effect": "Allow",
                "Action": ["sts:TagSession", "sts:SetSourceIdentity"],
                "Resource": "*",
            },
            {
                "Sid": "ReadOwnRole",
                "Effect": "Allow",
                "Action": ["iam:GetRole", "iam:ListRoles"],
                "Resource": "arn:aws:iam::684035162433:role/${aws:PrincipalTag/team, 'support'}*",
            },
        ],
    },
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoAdminRoles",
                "Effect": "Deny",
                "Action": "sts:AssumeRole",
                "Resource": "arn:aws:iam::*:role/*Admin*",
            },
            {
                "Sid": "OnlyFromVpn",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    "NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]},
                    "Bool": {"aws:ViaAWSService": "false"},
                },
            },
        ],
    },
]
BOUNDARY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["sts:*", "iam:Get*", "iam:List*"], "Resource": "*"}
    ],
}
REQUEST = Request(
    principal="arn:aws:sts::684035162433:assumed-role/SupportEngineer/alice",
    action="sts:AssumeRole",
    resource="arn:aws:iam::111122223333:role/QuiverstoneTrustedIntermediate",
    context={
        "sts:ExternalId": EXTERNAL_ID,
        "aws:SourceIp": "203.0.113.9",
        "aws:ViaAWSService": False,
        "aws:PrincipalTag/team": "support",
    },
)


def measure(seconds: float) -> tuple[float, float]:
    """(decisions/s with parsed policies reused, decisions/s parsing every time)."""
    trust = parse_policy(TRUST, name="trust")
    identity = [parse_policy(d, name=f"identity {i}") for i, d in enumerate(IDENTITY, 1)]
    boundary = parse_policy(BOUNDARY, name="boundary")
    result = evaluate(
        REQUEST, identity_policies=identity, trust_policy=trust, permission_boundary=boundary
    )
    assert result.decision is Decision.ALLOWED, result.reasons

    def rate(parse_each_time: bool) -> float:
        count, start = 0, time.perf_counter()
        deadline = start + seconds
        while time.perf_counter() < deadline:
            for _ in range(200):
                if parse_each_time:
                    t = parse_policy(TRUST, name="trust")
                    ids = [parse_policy(d, name="identity") for d in IDENTITY]
                    b = parse_policy(BOUNDARY, name="boundary")
                else:
                    t, ids, b = trust, identity, boundary
                evaluate(REQUEST, identity_policies=ids, trust_policy=t, permission_boundary=b)
            count += 200
        return count / (time.perf_counter() - start)

    return rate(False), rate(True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    reused, reparsed = measure(args.seconds)
    print(
        f"policy engine: {reused:,.0f} decisions/s (parsed policies reused), "
        f"{reparsed:,.0f} decisions/s (parsing all five policies each time); "
        f"target >= 10,000 decisions/s on one core"
    )


if __name__ == "__main__":
    main()
