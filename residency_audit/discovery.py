"""`discover aws`: run the AWS collector for one account or a whole organization and write the
observed deployments. boto3 is imported here only inside `discover_aws`, so the module itself is
cheap to import."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import field
from pathlib import Path

from residency_audit import kb as kb_module
from residency_audit.collectors.observed import Assumptions, Discovery, build_deployment
from residency_audit.errors import UsageError
from residency_audit.format.dump import dump_deployment
from residency_audit.model import Deployment, NotObserved
from residency_audit.records import Record, record

Progress = Callable[[str], None]


@record
class DiscoverOptions(Record):
    profile: str | None = None
    regions: Sequence[str] = ()
    role_name: str | None = None
    """Set for `--all-accounts`: the role assumed in every member account."""
    shard: tuple[int, int] | None = None
    assumptions: Assumptions = field(default_factory=Assumptions)
    max_attempts: int = 5
    workers: int = 8


@record
class Observed(Record):
    account: str
    deployment: Deployment
    text: str

    @property
    def gaps(self) -> tuple[NotObserved, ...]:
        observation = self.deployment.observation
        return observation.not_observed if observation else ()


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """`2/5` → (2, 5): the second of five shards."""
    if text is None:
        return None
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
        raise UsageError(f"--shard: {text!r} is not I/N with 1 <= I <= N, e.g. 1/4")
    return int(index), int(count)


def discover_aws(
    options: DiscoverOptions, *, progress: Callable[[int | None], Progress] | None = None
) -> list[Observed]:
    """Observe one account (the caller's) or every account of the organization."""
    from residency_audit.collectors import aws, aws_client

    knowledge = kb_module.default()
    settings = aws_client.Settings(max_attempts=options.max_attempts, workers=options.workers)
    session = aws_client.make_session(options.profile)
    start = progress or (lambda total: lambda label: None)
    if options.role_name is None:
        advance = start(len(options.regions) or None)
        found = aws.AwsCollector(session, settings=settings, progress=advance).collect(
            options.regions
        )
        return [_observed(found, knowledge, options.assumptions)]
    opened = aws_client.assume_role_sessions(session, options.role_name, options.shard, settings)
    advance = start(len(opened))

    def one(item: tuple[str, object]) -> Observed:
        account, member = item
        if isinstance(member, NotObserved):
            found = Discovery(
                account=account,
                partition="aws",
                started_at=aws_client.now(),
                regions=tuple(options.regions),
                gaps=[member],
            )
        else:
            found = aws.AwsCollector(member, settings=settings).collect(options.regions)
        advance(account)
        return _observed(found, knowledge, options.assumptions)

    with ThreadPoolExecutor(max_workers=max(1, min(4, len(opened)))) as pool:
        return list(pool.map(one, opened))


def _observed(
    found: Discovery, knowledge: kb_module.KnowledgeBase, assumed: Assumptions
) -> Observed:
    deployment = build_deployment(found, knowledge, assumed)
    header = (
        f"Observed deployment of AWS account {found.account}, written by "
        f"`residency-audit discover aws` (started {found.started_at}).\n"
        "Audit it with `residency-audit check THIS.yaml`, or compare it with the declared\n"
        "deployment: `residency-audit check declared.yaml --observed THIS.yaml`.\n"
        "Not observable from AWS, hence assumed (options --data, --health-context,\n"
        "--controller-country): the data categories, their origin, the owner's country;\n"
        'country "ZZ" means unknown.'
    )
    if found.gaps:
        header += (
            f"\nPARTIAL: {len(found.gaps)} call(s) could not be read; see observation.not_observed."
        )
    return Observed(found.account, deployment, dump_deployment(deployment, header=header))


def write(observed: Sequence[Observed], output: Path | None, *, many: bool) -> list[Path]:
    """One file, stdout (None), or one `<account>.yaml` per account in the directory `output`."""
    if not many:
        if output is None:
            return []
        _write(output, observed[0].text)
        return [output]
    if output is None:
        raise UsageError("--all-accounts writes one file per account: give --output DIRECTORY")
    output.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in observed:
        path = output / f"{item.account}.yaml"
        _write(path, item.text)
        paths.append(path)
    return paths


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write: {exc.strerror}") from None
