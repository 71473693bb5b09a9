"""What `discover aws` reads of the account itself: who it is (sts GetCallerIdentity), and
which of its regions are enabled (ec2 DescribeRegions), split into those read and those left
unread (`Regions`). Unlike a service's reader, a failure here that leaves nothing to read is a
`CollectorError`, not a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ReadTimeoutError
from botocore.exceptions import ConnectionError as NoConnectionError

from residency_audit.collectors.aws_client import _ENABLED, AwsClient, Unread
from residency_audit.collectors.observed import GapCause
from residency_audit.errors import CollectorError


class Regions(NamedTuple):
    """An account's regions as `discover` splits them."""

    read: list[str]
    not_enabled: tuple[str, ...] | None
    """Not enabled in the account; None when the regions could not be listed."""
    not_queried: tuple[str, ...] | None
    """Enabled but left out by --region; None when the regions could not be listed."""


class AccountReader(AwsClient):
    """Reads the account's identity and regions for `AwsCollector`."""

    def identity(self) -> tuple[str, str]:
        try:
            who = self.client("sts", self.home).get_caller_identity()
        except NoCredentialsError as exc:
            raise CollectorError(
                "aws: no credentials found; set AWS_PROFILE or the AWS_* "
                "variables, or pass --profile"
            ) from exc
        except (NoConnectionError, ReadTimeoutError) as exc:
            # no answer (refused, unresolved, timed out, proxy or TLS failure): the credentials
            # were never judged
            raise CollectorError(
                f"aws: cannot identify the account (sts GetCallerIdentity "
                f"in {self.home}): {exc}; check the endpoint (AWS_ENDPOINT_URL, proxy "
                "settings) and the network"
            ) from exc
        except (ClientError, BotoCoreError) as exc:
            raise CollectorError(
                f"aws: cannot identify the account (sts GetCallerIdentity "
                f"in {self.home}): {exc}; check the credentials"
            ) from exc
        return str(who["Account"]), str(who["Arn"]).split(":")[1]

    def regions(self, requested: Sequence[str]) -> Regions:
        """The regions to read, and those left unread. A requested region that is not enabled
        is a gap; without --region, every enabled region is read."""
        try:
            reply = self.call("ec2", self.home, "DescribeRegions", AllRegions=True)
            listed = self.listed("ec2", self.home, "DescribeRegions", reply, "Regions")
        except Unread:
            if not requested:
                raise CollectorError(
                    "aws: cannot list the enabled regions (ec2:DescribeRegions refused or "
                    "failed); grant it or name the regions with --region"
                ) from None
            return Regions(sorted(set(requested)), None, None)  # what else is there: unknown
        status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in listed}
        enabled = sorted(name for name, s in status.items() if s in _ENABLED)
        disabled = tuple(sorted(name for name, s in status.items() if s not in _ENABLED))
        if not requested:
            return Regions(enabled, disabled, ())
        chosen = []
        for region in dict.fromkeys(requested):
            if status.get(region) in _ENABLED:
                chosen.append(region)
            else:
                self.gap(
                    "ec2",
                    "DescribeRegions",
                    region,
                    f"{GapCause.REGION_NOT_ENABLED.value} in this account (opted out): not read"
                    if region in status
                    else f"{GapCause.REGION_UNKNOWN.value} to ec2:DescribeRegions: not read",
                )
        return Regions(chosen, disabled, tuple(r for r in enabled if r not in chosen))
