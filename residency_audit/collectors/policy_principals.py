"""Who a resource-based policy (IAM policy language) lets in from outside the account: the
accounts its Allow statements name, `unknown` for what names no account, and whether one lets
anyone in. Read the same way for an S3 bucket's policy (`aws_sharing_s3`) and a DynamoDB
table's or stream's (`aws_sharing_dynamodb`).

A `"*"` principal is public unless a condition narrows who may come in. AWS's meaning of
"public" (Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage", "The meaning
of 'public'",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)
starts from "public" and calls a bucket policy non-public only when it grants access to fixed
values of a principal (aws:PrincipalOrgID...), aws:SourceIp, aws:SourceArn, aws:SourceVpc,
aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, s3:x-amz-server-side-encryption-aws-kms-key-id,
aws:userid outside "AROLEID:*", s3:DataAccessPointArn or s3:DataAccessPointAccount; DynamoDB's
block public access names its own list of such "trusted condition keys" (Amazon DynamoDB
Developer Guide, "Blocking public access with resource-based policies in DynamoDB",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html). A key on
neither list leaves a policy public to AWS, but not every such key is harmless to call public
here, so only `_OPEN_TO_ANYONE` is: a condition made solely of it is no condition at all.
Left `unknown` on purpose: aws:Referer and aws:UserAgent (public to AWS, yet a header value
can serve as a secret shared with a CDN), aws:CurrentTime and aws:EpochTime (a window may be
closed: no one, not anyone), aws:SecureTransport false (a service reached only over HTTPS
grants no one), service-specific keys (absent from another service's requests, so the grant
applies to no one) and any key not named here. A `"*"` narrowed by `StringEquals
aws:PrincipalAccount` names its accounts (`_condition_accounts`).
"""

from __future__ import annotations

import json
from typing import Any

from residency_audit.collectors.observed import account_of_arn
from residency_audit.sharing import ACCOUNT_ID, CANONICAL_USER, UNREAD


def principals(text: str, account: str | None, owner: str | None) -> set[str]:
    """The accounts (ids, canonical users) other than `account` that the policy's Allow
    statements let in; `unknown` for what names no account (a federated principal, a
    NotPrincipal, a policy that does not parse, a "*" narrowed by a condition other than
    `_condition_accounts`). "*" alone, or with a condition that narrows no one
    (`_OPEN_TO_ANYONE`), is the caller's to judge: GetBucketPolicyStatus for S3,
    `grants_anyone` for DynamoDB."""
    try:
        statements = json.loads(text).get("Statement", [])
    except (ValueError, AttributeError):
        return {UNREAD}
    found: set[str] = set()
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in st:
            found.add(UNREAD)
        principal = st.get("Principal", {})
        named = principal.items() if isinstance(principal, dict) else [("AWS", principal)]
        for kind, values in named:
            for value in [values] if isinstance(values, str) else values:
                if str(value) == "*" and not _open_to_anyone(st.get("Condition")):
                    # "not public" to AWS, yet open to an organisation, a VPC endpoint's
                    # users, or the accounts a condition names
                    found |= _condition_accounts(st["Condition"], account)
                elif kind == "Service":
                    found |= _service_scope(st.get("Condition"), account)
                else:
                    found |= _principal(kind, str(value), account, owner)
    return found


def _condition_accounts(condition: Any, account: str | None) -> set[str]:
    """The accounts a "*" principal is narrowed to by `StringEquals aws:PrincipalAccount`
    (other conditions only narrow it further: all must hold); `unknown` for any other
    condition, whose reach (an organisation, a VPC endpoint) names no account."""
    equals = condition.get("StringEquals") if isinstance(condition, dict) else None
    values = next(
        (v for k, v in (equals or {}).items() if k.lower() == "aws:principalaccount"), None
    )
    listed = [values] if isinstance(values, str) else values
    if not isinstance(listed, list) or not all(
        isinstance(v, str) and ACCOUNT_ID.fullmatch(v) for v in listed
    ):
        return {UNREAD}
    return {v for v in listed if v != account}


_SOURCE_KEYS = {"aws:sourceaccount": lambda v: v, "aws:sourcearn": account_of_arn}
"""Condition keys that tie a service principal's access to the resources of one account."""


def _service_scope(condition: Any, account: str | None) -> set[str]:
    """A service principal (`cloudfront.amazonaws.com`) reads for any account's resources of
    that service unless a condition ties it to this account's (`aws:SourceAccount`, or an
    `aws:SourceArn` of this account): AWS calls such a grant "not public", yet any
    account's distribution could read the bucket. Nothing when so tied, else `unknown`."""
    for operator, pairs in (condition or {}).items() if isinstance(condition, dict) else ():
        if not str(operator).startswith(("StringEquals", "ArnEquals")):
            continue  # ...Like operators take wildcards, which may name any account
        for key, values in (pairs or {}).items() if isinstance(pairs, dict) else ():
            owner_of = _SOURCE_KEYS.get(str(key).lower())
            listed = [values] if isinstance(values, str) else values
            if owner_of is None or not isinstance(listed, list) or not listed:
                continue
            if account is not None and all(owner_of(str(v)) == account for v in listed):
                return set()
    return {UNREAD}


def _principal(kind: str, value: str, account: str | None, owner: str | None) -> set[str]:
    if value == "*":
        return set()
    if kind == "CanonicalUser":
        return set() if value == owner else {CANONICAL_USER + value}
    if kind == "AWS":
        named = value if ACCOUNT_ID.fullmatch(value) else account_of_arn(value)
        if named is not None and ACCOUNT_ID.fullmatch(named):
            return set() if named == account else {named}
    return {UNREAD}


_OPEN_TO_ANYONE = {"aws:securetransport": ("Bool", "BoolIfExists")}
"""Condition keys (lower case, as IAM compares them) that cannot narrow who may come in, with
the operators under which the value `true` lets any request in: aws:SecureTransport, whether
the request came over TLS, which every caller can use. Neither AWS list of keys that make a
policy non-public names it (module docstring)."""


def _open_to_anyone(condition: Any) -> bool:
    """Whether a statement's condition leaves a `"*"` principal open to anyone: none at all,
    or one made solely of `_OPEN_TO_ANYONE` keys requiring `true` (HTTPS only)."""
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    for operator, pairs in condition.items():
        if not isinstance(pairs, dict) or not pairs:
            return False
        for key, values in pairs.items():
            if operator not in _OPEN_TO_ANYONE.get(str(key).lower(), ()):
                return False
            listed = values if isinstance(values, list) else [values]
            if not listed or not all(v is True or v == "true" for v in listed):
                return False
    return True


def grants_anyone(text: str) -> bool:
    """Whether an Allow statement lets `"*"` in with no condition narrowing who
    (`_open_to_anyone`): `principals` leaves such a `"*"` to the caller (S3 has
    GetBucketPolicyStatus, DynamoDB no such call)."""
    try:
        statements = json.loads(text).get("Statement", [])
    except (ValueError, AttributeError):
        return False  # `principals` says unknown
    return any(
        isinstance(st, dict)
        and st.get("Effect") == "Allow"
        and _open_to_anyone(st.get("Condition"))
        and _anyone(st.get("Principal"))
        for st in (statements if isinstance(statements, list) else [statements])
    )


def _anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    values = principal.get("AWS") if isinstance(principal, dict) else None
    return values == "*" or (isinstance(values, list) and "*" in values)
