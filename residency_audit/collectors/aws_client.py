"""How `discover aws` talks to AWS: the calls it makes and the IAM actions they need
(`CALLS`, `iam_policy`), sessions (`make_session`, `assume_role_sessions`) and `AwsClient`, whose
calls turn every failure into a gap rather than an error.

The only module that imports boto3; botocore is imported here and by
`residency_audit.collectors.aws_account` (what is read: `aws` and its `aws_*` readers); both
are imported only by `discover aws`. One `boto3.session.Session` per account;
clients with timeouts and bounded retries. A call that is refused, throttled beyond the retries,
times out, or meets a region that is not enabled does not stop the run: it becomes a
`NotObserved` entry naming the IAM action that would allow it, and the audit is partial. Only a
run that can read nothing at all (no credentials, identity unknown) raises `CollectorError`.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn, TypeVar
from xml.etree import ElementTree

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from residency_audit.collectors.observed import GapCause, gap_cause
from residency_audit.errors import CollectorError
from residency_audit.model import Evidence, NotObserved
from residency_audit.records import Record, record

CALLS: dict[tuple[str, str], str | None] = {
    ("sts", "GetCallerIdentity"): None,  # needs no permission (AWS STS documentation)
    ("ec2", "DescribeRegions"): "ec2:DescribeRegions",
    ("ec2", "DescribeVolumes"): "ec2:DescribeVolumes",
    ("ec2", "DescribeSnapshots"): "ec2:DescribeSnapshots",
    ("ec2", "DescribeSnapshotAttribute"): "ec2:DescribeSnapshotAttribute",
    ("ec2", "DescribeImages"): "ec2:DescribeImages",
    ("ec2", "DescribeImageAttribute"): "ec2:DescribeImageAttribute",
    ("ec2", "DescribeInstances"): "ec2:DescribeInstances",
    ("lambda", "ListFunctions"): "lambda:ListFunctions",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketLocation"): "s3:GetBucketLocation",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketAcl"): "s3:GetBucketAcl",
    ("s3", "GetBucketPolicy"): "s3:GetBucketPolicy",
    ("s3", "GetBucketPolicyStatus"): "s3:GetBucketPolicyStatus",
    ("s3", "GetBucketOwnershipControls"): "s3:GetBucketOwnershipControls",
    ("kms", "ListKeys"): "kms:ListKeys",
    ("kms", "ListAliases"): "kms:ListAliases",
    ("kms", "DescribeKey"): "kms:DescribeKey",
    ("kms", "DescribeCustomKeyStores"): "kms:DescribeCustomKeyStores",
    ("rds", "DescribeDBInstances"): "rds:DescribeDBInstances",
    ("rds", "DescribeDBClusters"): "rds:DescribeDBClusters",
    ("rds", "DescribeGlobalClusters"): "rds:DescribeGlobalClusters",
    ("rds", "DescribeDBSnapshots"): "rds:DescribeDBSnapshots",
    ("rds", "DescribeDBSnapshotAttributes"): "rds:DescribeDBSnapshotAttributes",
    ("rds", "DescribeDBClusterSnapshots"): "rds:DescribeDBClusterSnapshots",
    ("rds", "DescribeDBClusterSnapshotAttributes"): "rds:DescribeDBClusterSnapshotAttributes",
    ("dynamodb", "ListTables"): "dynamodb:ListTables",
    ("dynamodb", "DescribeTable"): "dynamodb:DescribeTable",
    ("dynamodb", "GetResourcePolicy"): "dynamodb:GetResourcePolicy",
    ("backup", "ListBackupPlans"): "backup:ListBackupPlans",
    ("backup", "GetBackupPlan"): "backup:GetBackupPlan",
    ("backup", "DescribeBackupVault"): "backup:DescribeBackupVault",
    ("backup", "ListBackupSelections"): "backup:ListBackupSelections",
    ("backup", "GetBackupSelection"): "backup:GetBackupSelection",
    # a backup selection's tags, resolved to ARNs (`aws_selections`); the IAM prefix of the
    # Resource Groups Tagging API is `tag` (Service Authorization Reference, "Actions,
    # resources, and condition keys for Amazon Resource Group Tagging API")
    ("resourcegroupstaggingapi", "GetResources"): "tag:GetResources",
    ("cloudfront", "ListDistributions"): "cloudfront:ListDistributions",
}
"""Every call `discover aws` makes in an account, and the IAM action it needs."""

_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "UnauthorizedException",
        "Forbidden",
        "403",
    }
)
_NOT_ENABLED = frozenset(
    {"OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"}
)
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",
    }
)
_ENABLED = frozenset({"opt-in-not-required", "opted-in"})


@record
class Settings(Record):
    max_attempts: int = 5
    """Attempts per call, first included (botocore "standard" retry mode)."""
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    workers: int = 8
    """Regions (and bucket lookups) read at once."""


_Reply = TypeVar("_Reply")


class Unread(Exception):
    """A call failed and was recorded as not observed; the caller skips what depended on it."""


def iam_policy() -> dict[str, Any]:
    """The minimal read-only policy `discover aws` needs (README and docs/iam-policy.json)."""
    actions = sorted({a for a in CALLS.values() if a})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ResidencyAuditDiscoverReadOnly",
                "Effect": "Allow",
                "Action": actions,
                "Resource": "*",
            }
        ],
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def make_session(profile: str | None = None) -> Any:
    """The one boto3 session of a run; honours the standard AWS environment (AWS_ENDPOINT_URL,
    AWS_PROFILE, AWS_REGION, credentials files)."""
    try:
        return boto3.session.Session(profile_name=profile)
    except BotoCoreError as exc:
        raise CollectorError(
            f"aws: cannot open profile {profile!r}: {exc}; check ~/.aws/config or drop --profile"
        ) from exc


class AwsClient:
    """Calls to one account through `session`: clients made once per (service, region), calls
    and paginators whose failures become gaps (`NotObserved`), evidence of each read. `clients`
    may pre-seed clients by (service, region), which is how tests stub the calls moto does not
    implement."""

    def __init__(
        self,
        session: Any,
        *,
        settings: Settings = Settings(),  # noqa: B008 - a frozen record, safe to share
        clients: dict[tuple[str, str], Any] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.config = Config(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retries={"mode": "standard", "max_attempts": settings.max_attempts},
            max_pool_connections=max(10, settings.workers),
        )
        self.clients: dict[tuple[str, str], Any] = dict(clients or {})
        self.gaps: list[NotObserved] = []
        self._seen: set[NotObserved] = set()
        self.progress = progress or (lambda label: None)
        self._lock = threading.Lock()
        self.home = session.region_name or "us-east-1"

    # -- plumbing ---------------------------------------------------------------------------

    def client(self, service: str, region: str) -> Any:
        # NOTE: creating clients from one Session is not thread-safe (boto3 docs, "Multithreading
        # or multiprocessing with resources"); clients themselves are.
        with self._lock:
            if (service, region) not in self.clients:
                made = self.session.client(service, region_name=region, config=self.config)
                if service == "s3":
                    made.meta.events.register_last(
                        "after-call.s3.GetBucketLocation", _location_element
                    )
                self.clients[service, region] = made
            return self.clients[service, region]

    def gap(self, service: str, call: str, region: str | None, reason: str) -> None:
        """Record what was not observed; `reason` starts with its `GapCause`. Only a refusal
        names the IAM action that is missing: a call never made, or one that failed for another
        reason, lacks no permission. The same gap met twice is recorded once."""
        gap = NotObserved(
            service=service,
            call=call,
            reason=reason,
            region=region,
            permission=_missing(service, call, reason),
        )
        with self._lock:
            if gap not in self._seen:
                self._seen.add(gap)
                self.gaps.append(gap)

    def call(
        self,
        service: str,
        region: str,
        call: str,
        *,
        absent: Iterable[str] = (),
        about: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """One API call; None when the thing is absent (`absent` error codes); `Unread` after
        recording a gap when it could not be read. `about` names the resource the call reads
        (an ARN) in the gap's reason: a call refused for every bucket must not give identical
        gaps that hide which buckets are unread."""
        method = getattr(self.client(service, region), _snake(call))
        return self._send(
            service,
            region,
            call,
            lambda: method(**kwargs),
            absent=absent,
            suffix=f" for {about}" if about else "",
        )

    def pages(self, service: str, region: str, call: str, key: str, **kwargs: Any) -> list[Any]:
        """The items under `key` (a dotted path) of every page of `call`; `Unread` after
        recording a gap when a call failed or a reply lacks `key`: a 200 reply without the list
        (an HTML page from a proxy, which botocore parses to nothing) is unread, not empty."""
        replies = iter(self.client(service, region).get_paginator(_snake(call)).paginate(**kwargs))
        items: list[Any] = []
        # each page is requested and parsed by next(): only that runs under _send's handlers
        while (page := self._send(service, region, call, lambda: next(replies, None))) is not None:
            items += self.listed(service, region, call, page, key)
        return items

    def _send(
        self,
        service: str,
        region: str,
        call: str,
        send: Callable[[], _Reply],
        *,
        absent: Iterable[str] = (),
        suffix: str = "",
    ) -> _Reply | None:
        """`send()`, botocore's request and parse of one reply of `call`; None when the reply
        is an error of code `absent`; `Unread` after recording a gap when it failed."""
        try:
            return send()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in absent:
                return None
            self.gap(service, call, region, _reason(code, exc, self.settings) + suffix)
        except (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError) as exc:
            self.gap(service, call, region, _timeout(exc) + suffix)
        except NoCredentialsError as exc:
            raise CollectorError(
                "aws: no credentials found; set AWS_PROFILE or the AWS_* "
                "variables, or pass --profile"
            ) from exc
        except BotoCoreError as exc:
            self.gap(service, call, region, _error(exc) + suffix)
        except ResponseParserError as exc:  # an Exception, not a BotoCoreError
            self.gap(service, call, region, _unparsed(exc) + suffix)
        except ElementTree.ParseError as exc:
            # NOTE: botocore reads GetBucketLocation's body with a handler of its own
            # (`botocore.handlers.parse_get_bucket_location`), not its parsers: an empty or
            # broken body raises the XML parser's error, not a ResponseParserError.
            reason = f"{GapCause.ERROR.value}: unreadable reply: {exc}"
            self.gap(service, call, region, printable(reason) + suffix)
        except KeyError as exc:
            # NOTE: botocore's query (XML) parser raises a bare KeyError naming the element it
            # expected (`DescribeDBInstancesResult`) when a 200 reply lacks it, an HTML page
            # say. Only `send`, botocore's request and parse, runs under this clause, so no
            # KeyError of ours passes for a bad reply.
            element = exc.args[0] if exc.args else "expected element"
            reason = f"{GapCause.ERROR.value}: unreadable reply: no {element} in the {call} reply"
            self.gap(service, call, region, printable(reason) + suffix)
        raise Unread(call)

    def listed(self, service: str, region: str, call: str, reply: Any, key: str) -> list[Any]:
        """The list under `key` (a dotted path) of a listing call's reply; `Unread` after
        recording a gap when the reply does not carry it."""
        items = _listed(reply, service, call, key)
        if items is None:
            self.unreadable(service, region, call, key)
        return items

    def member(
        self,
        service: str,
        region: str,
        call: str,
        reply: Any,
        key: str,
        *,
        about: str | None = None,
        kind: type | tuple[type, ...] = dict,
    ) -> Any:
        """The member under `key` (a dotted path) of a single-resource call's reply, what the
        call exists to return (DescribeTable's `Table`); `Unread` after recording a gap naming
        `about` when the reply lacks it or it is not a `kind`: a 200 reply without it (an HTML
        page or `{}` from a proxy) is unread, never an empty selection or no replication."""
        node: Any = reply
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                self.unreadable(service, region, call, key, about=about)
            node = node[part]
        if not isinstance(node, kind):
            self.unreadable(service, region, call, key, about=about)
        return node

    def unreadable(
        self, service: str, region: str, call: str, key: str, *, about: str | None = None
    ) -> NoReturn:
        """Records that a reply of `call` lacked `key`, then raises `Unread`."""
        reason = f"{GapCause.ERROR.value}: unreadable reply: no {key} in the {call} reply"
        self.gap(service, call, region, reason + (f" for {about}" if about else ""))
        raise Unread(call)

    def evidence(
        self,
        service: str,
        call: str,
        region: str | None,
        resource: str | None,
        detail: str | None = None,
    ) -> Evidence:
        return Evidence(
            service=service,
            call=call,
            observed_at=now(),
            region=region,
            resource=resource,
            detail=detail,
        )


def _snake(call: str) -> str:
    from botocore import xform_name

    return xform_name(call)


_EMPTY_WITHOUT_ITEMS: dict[tuple[str, str], str] = {
    # NOTE: CloudFront leaves DistributionList.Items out of the reply of an account with no
    # distribution and says Quantity 0 (Quantity is required in botocore's DistributionList
    # shape, Items is not; AWS's own example code checks Quantity before reading Items:
    # https://github.com/awsdocs/aws-doc-sdk-examples/pull/223, and
    # https://github.com/Netflix/lemur/pull/4373 met the missing Items on a real account).
    ("cloudfront", "ListDistributions"): "Quantity",
}
"""Listing calls whose reply omits its list when it is empty, and the count next to the list
that then says 0. Every other listing call is expected to carry its list, empty or not.

botocore's output shapes cannot tell: they mark none of the listed members required (not even
DynamoDB's TableNames or S3's Buckets, which AWS always sends), so the choice is this table.
For the others, the list is present in moto's empty replies, and tools run against real
accounts read it without a default (Prowler and ansible's amazon.aws read
`page["BackupPlansList"]`, for example); we found no AWS documentation stating either way."""


def _location_element(parsed: dict[str, Any], http_response: Any, **_: Any) -> None:
    """Leaves GetBucketLocation's reply without `LocationConstraint` (so unread) unless its
    body is a `LocationConstraint` element.

    NOTE: botocore sets `LocationConstraint` to the text of the body's root element, whatever
    that element is (`botocore.handlers.parse_get_bucket_location`): an HTML page from a proxy
    has no text there and would read as null, which S3 says of a bucket in us-east-1 (S3 API
    reference, GetBucketLocation), placing the bucket in the wrong region. Runs after it."""
    if http_response.raw is None:  # botocore's Stubber: no body to read
        return
    try:
        tag = ElementTree.fromstring(http_response.content).tag
    except ElementTree.ParseError:
        tag = ""
    if tag.rpartition("}")[2] != "LocationConstraint":
        parsed.pop("LocationConstraint", None)


def _listed(page: Any, service: str, call: str, key: str) -> list[Any] | None:
    """The list under the dotted `key` of one reply; None when the reply does not carry it."""
    *parents, last = key.split(".")
    node: Any = page
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        return None
    if last in node:
        listed = node[last]
        return list(listed) if isinstance(listed, list) else None
    count = _EMPTY_WITHOUT_ITEMS.get((service, call))
    return [] if count is not None and node.get(count) == 0 else None


def _missing(service: str, call: str, reason: str) -> str | None:
    """The IAM action a refused call needs; None for any other gap."""
    return CALLS.get((service, call)) if gap_cause(reason) is GapCause.DENIED else None


def _timeout(exc: Exception) -> str:
    return f"{GapCause.TIMEOUT.value} or endpoint unreachable ({printable(str(exc))})"


def _error(exc: BotoCoreError) -> str:
    return f"{GapCause.ERROR.value}: {type(exc).__name__}: {printable(str(exc))}"


def _unparsed(exc: ResponseParserError) -> str:
    """The parser's complaint, without the body it quotes on the lines after it."""
    complaint = str(exc).splitlines()[0].rstrip(":") if str(exc) else type(exc).__name__
    return printable(f"{GapCause.ERROR.value}: unreadable reply: {complaint[:200]}")


def _reason(code: str, exc: ClientError, settings: Settings) -> str:
    """Why a call failed, starting with its `GapCause`."""
    message = exc.response.get("Error", {}).get("Message", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _DENIED or (status == 403 and not code):  # a bare 403 is a refusal too
        return f"access denied ({code or 'HTTP 403'})"
    if code in _NOT_ENABLED:
        return f"region not enabled or credentials not valid there ({code})"
    if code in _THROTTLED:
        return f"throttled beyond {settings.max_attempts} attempts ({code})"
    if code.isdigit() or not message or message.lstrip().startswith("<"):
        return f"error: service error {code or 'unknown'} (not a permission problem)"
    return printable(f"error: {code or 'unknown'}: {message.splitlines()[0][:200]}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Server text as one line without control characters: the observed file must load again
    (the loader refuses control characters and line breaks in one-line values)."""
    return _CONTROL.sub(" ", text)


def assume_role_sessions(
    session: Any, role_name: str, shard: tuple[int, int] | None, settings: Settings
) -> list[tuple[str, Any | NotObserved]]:
    """(account id, session or the reason it could not be opened) for each active account of
    the organization, keeping only shard I of N (accounts sorted by id, round robin)."""
    config = Config(
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retries={"mode": "standard", "max_attempts": settings.max_attempts},
    )
    home = session.region_name or "us-east-1"
    try:
        org = session.client("organizations", region_name=home, config=config)
        accounts = []
        for page in org.get_paginator("list_accounts").paginate():
            listed = _listed(page, "organizations", "ListAccounts", "Accounts")
            if listed is None:  # an HTML page from a proxy is no organization without accounts
                raise KeyError("Accounts")
            accounts += [a for a in listed if a.get("Status", "ACTIVE") == "ACTIVE"]
        sts = session.client("sts", region_name=home, config=config)
        partition = sts.get_caller_identity()["Arn"].split(":")[1]
    except (ClientError, BotoCoreError, ResponseParserError, KeyError) as exc:
        # NOTE: a KeyError here is a reply lacking what it must carry (the accounts, the
        # caller's ARN, or what botocore's query parser expected): only replies are read here
        problem = (
            f"unreadable reply: no {exc.args[0] if exc.args else 'expected element'} in it"
            if isinstance(exc, KeyError)
            else str(exc)
        )
        raise CollectorError(
            f"aws: cannot list the organization's accounts: {printable(problem)}; run from "
            "the management (or a delegated administrator) account with "
            "organizations:ListAccounts"
        ) from exc
    ids = sorted(str(a["Id"]) for a in accounts)
    if shard is not None:
        index, count = shard
        ids = [a for i, a in enumerate(ids) if i % count == index - 1]

    def open_one(account: str) -> tuple[str, Any | NotObserved]:
        arn = f"arn:{partition}:iam::{account}:role/{role_name}"
        try:
            creds = sts.assume_role(RoleArn=arn, RoleSessionName="residency-audit")["Credentials"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            reason = _reason(code, exc, settings) + f" for {arn}"
            return account, NotObserved(
                service="sts",
                call="AssumeRole",
                region=home,
                reason=reason,
                permission="sts:AssumeRole" if gap_cause(reason) is GapCause.DENIED else None,
            )
        return account, boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=home,
        )

    with ThreadPoolExecutor(max_workers=settings.workers) as pool:
        return list(pool.map(open_one, ids))
