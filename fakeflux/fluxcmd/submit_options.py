"""The options of ``flux submit``/``run``/``bulksubmit``/``batch``/``alloc`` (flux-core's
flux/cli/base.py parsers) and the jobspec they describe, built with fakeflux's
``flux.job.JobspecV1`` (``from_command``/``per_resource``/``from_batch``/``from_alloc``
and ``apply_options``, which runs the command line plugins)."""

from __future__ import annotations

import argparse
import os
from typing import Any, List, Optional

SUBMISSION = "{prog} [OPTIONS...] COMMAND [ARGS...]"


class _BeginTime(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        from flux.util import parse_datetime  # type: ignore[import-not-found,unused-ignore]

        items = list(getattr(namespace, "dependency", None) or [])
        items.append("begin-time:" + str(parse_datetime(values).timestamp()))
        namespace.dependency = items


class _EnvRule(argparse.Action):
    """--env-remove and --env-file become --env rules, in command line order."""

    def __init__(self, *args: Any, prefix: str = "", **kwargs: Any) -> None:
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        items = list(getattr(namespace, "env", None) or [])
        items.append(self.prefix + values)
        namespace.env = items


class _Conf(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: Any = None) -> None:
        from flux.job import BatchConfig  # type: ignore[import-not-found,unused-ignore]

        conf = getattr(namespace, "conf", None)
        if conf is None:
            conf = BatchConfig()
            namespace.conf = conf
        conf.update(values)


HIDDEN_ALIASES = {"--dry", "--require", "--broker-opt", "--state"}


def hide_aliases(parser: argparse.ArgumentParser) -> None:
    """flux-core's hidden_aliases: the old spellings are accepted but left out of --help."""
    for action in parser._actions:
        hidden = HIDDEN_ALIASES.intersection(action.option_strings)
        if hidden:
            action.hidden_option_strings = hidden  # type: ignore[attr-defined]


def base_parser(
    prog: str, usage: Optional[str] = None, description: Optional[str] = None, exclude_io: bool = False
) -> argparse.ArgumentParser:
    from .pytool import argument_parser

    parser = argument_parser(prog, usage=usage or SUBMISSION.format(prog=prog), description=description, add_help=False)
    add = parser.add_argument
    add(
        "--help",
        nargs="?",
        const="default",
        metavar="TOPIC",
        help="Show this help message or extended help for TOPIC and exit",
    )
    add("-B", "--bank", type=str, metavar="BANK", help="Submit a job to a specific named bank")
    add("-q", "--queue", type=str, metavar="NAME", help="Submit a job to a specific named queue")
    add(
        "-t",
        "--time-limit",
        type=str,
        metavar="MIN|FSD",
        help="Time limit in minutes when no units provided, otherwise in Flux standard duration, e.g. 30s, 2d, 1.5h",
    )
    add("--urgency", metavar="N", default="16", help="Set job urgency (0-31), hold=0, default=16, expedite=31")
    add("--job-name", type=str, metavar="NAME", help="Set an optional name for job to NAME")
    add(
        "-o",
        "--setopt",
        action="append",
        metavar="OPT",
        help="Set shell option OPT. An optional value is supported with OPT=VAL (default VAL=1) (multiple use OK)",
    )
    add(
        "-S",
        "--setattr",
        action="append",
        metavar="ATTR",
        help="Set job attribute ATTR. An optional value is supported  with ATTR=VAL (default VAL=1). If ATTR "
        "starts with ^, then VAL is a file containing valid JSON which will be used as the value of the "
        "attribute. (multiple use OK)",
    )
    add(
        "--add-file",
        action="append",
        metavar="[NAME=]PATH",
        help="Add a file at PATH with optional NAME to jobspec. The file will be extracted to {{tmpdir}}/NAME. "
        "If NAME is not specified, then the basename of PATH will be used. If necessary, permissions may be "
        "specified via NAME:PERMS. (multiple use OK)",
    )
    add("--dependency", action="append", metavar="URI", help="Set an RFC 26 dependency URI for this job")
    add(
        "--requires",
        "--require",
        action="append",
        metavar="CONSTRAINT",
        help="Specify job constraints in RFC 35 syntax",
    )
    add(
        "--begin-time",
        action=_BeginTime,
        metavar="+FSD|TIME",
        help='Set minimum start time as offset in FSD (e.g. +1h) or an absolute TIME (e.g. "3pm") for job',
    )
    add(
        "--env",
        action="append",
        metavar="RULE",
        help="Control how environment variables are exported. If RULE starts with '-' apply rest of RULE as a "
        "remove filter (see --env-remove), if '^' then read rules from a file (see --env-file). Otherwise, set "
        "matching environment variables from the current environment (--env=PATTERN) or set a value explicitly "
        "(--env=VAR=VALUE). Rules are applied in the order they are used on the command line. (multiple use OK)",
    )
    add(
        "--env-remove",
        action=_EnvRule,
        prefix="-",
        metavar="PATTERN",
        help="Remove environment variables matching PATTERN. If PATTERN starts with a '/', then it is matched as "
        "a regular expression, otherwise PATTERN is a shell glob expression. (multiple use OK)",
    )
    add(
        "--env-file",
        action=_EnvRule,
        prefix="^",
        metavar="FILE",
        help="Read a set of environment rules from FILE. (multiple use OK)",
    )
    add(
        "--rlimit",
        action="append",
        metavar="RULE",
        help="Control how soft resource limits are propagated to the job. If RULE starts with a '-', then do not "
        "propagate matching resource limits (e.g. '-*' propagates nothing). Otherwise, propagate the current limit "
        "or a specific value, e.g. --rlimit=core or --rlimit=core=16. The option may be used multiple times to "
        "build a reduced set of propagated limits, e.g. --rlimit=-*,core will only propagate RLIMIT_CORE.",
    )
    io_help = argparse.SUPPRESS if exclude_io else None
    add("--input", type=str, metavar="FILENAME", help=io_help or "Redirect job stdin from FILENAME, bypassing KVS")
    add("--output", type=str, metavar="FILENAME", help=io_help or "Redirect job stdout to FILENAME, bypassing KVS")
    add("--error", type=str, metavar="FILENAME", help=io_help or "Redirect job stderr to FILENAME, bypassing KVS")
    add("-u", "--unbuffered", action="store_true", help="Disable buffering of input and output")
    add("-l", "--label-io", action="store_true", help=io_help or "Add rank labels to stdout, stderr lines")
    add("--cwd", metavar="DIRECTORY", help="Set job working directory")
    add(
        "--flags",
        action="append",
        metavar="FLAGS",
        help="Set comma separated list of job submission flags. Possible flags:  debug, waitable, novalidate",
    )
    add(
        "--signal",
        metavar="[SIG][@TIME]",
        help="Schedule delivery of signal SIG at a defined TIME before job expiration. Default SIG is SIGUSR1, "
        "default TIME is 60s.",
    )
    add("--dry-run", "--dry", action="store_true", help="Don't actually submit job, just emit jobspec")
    add("--quiet", action="store_true", help="Do not print jobid to stdout on submission")
    add("--list-plugins", action="store_true", help="Print all command-line plugins that are loaded and exit")
    add("--debug-emulate", action="store_true", help=argparse.SUPPRESS)
    return parser


def add_task_options(parser: argparse.ArgumentParser) -> None:
    """SubmitBaseCmd's resource options (submit, run, bulksubmit)."""
    parser.add_argument(
        "--taskmap",
        type=str,
        metavar="URI",
        help="Select the scheme for mapping task ids to nodes as a URI (i.e. SCHEME[:VALUE]). Value "
        "options include block, cyclic, cyclic:N, or manual:TASKMAP (default: block)",
    )
    group = parser.add_argument_group("Common resource options")
    group.add_argument("-N", "--nodes", metavar="N", help="Number of nodes to allocate")
    group.add_argument("-x", "--exclusive", action="store_true", help="With -N, --nodes, allocate nodes exclusively")
    group = parser.add_argument_group(
        "Per task options",
        "The following options allow per-task specification of resources, and should not be combined with "
        "per-resource options.",
    )
    group.add_argument("-n", "--ntasks", metavar="N", help="Number of tasks to start")
    group.add_argument("-c", "--cores-per-task", metavar="N", help="Number of cores to allocate per task")
    group.add_argument("-g", "--gpus-per-task", metavar="N", help="Number of GPUs to allocate per task")
    group = parser.add_argument_group(
        "Per resource options",
        "The following options allow per-resource specification of tasks, and should not be used with per-task "
        "options above",
    )
    group.add_argument("--cores", metavar="N", help="Request a total number of cores")
    group.add_argument("--tasks-per-node", metavar="N", help="Force number of tasks per node")
    group.add_argument("--tasks-per-core", metavar="N", help="Force number of tasks per core")
    group.add_argument("--gpus-per-node", metavar="N", help="Request a number of GPUs per node with --nodes")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="Increase verbosity on stderr (multiple use OK)"
    )


def add_bulk_options(parser: argparse.ArgumentParser) -> None:
    """SubmitBulkCmd's options (submit, bulksubmit)."""
    add = parser.add_argument
    add(
        "--cc",
        metavar="IDSET",
        default=None,
        help="Replicate job for each ID in IDSET. (FLUX_JOB_CC=ID will be set for each job submitted)",
    )
    add("--bcc", metavar="IDSET", default=None, help="Like --cc, but FLUX_JOB_CC is not set")
    add("--wait-event", metavar="NAME", dest="wait", help="Wait for event NAME for all jobs after submission")
    add(
        "--wait",
        action="store_const",
        const="clean",
        help="Wait for all jobs to complete after submission (same as --wait-event=clean)",
    )
    add("--watch", action="store_true", help="Watch all job output (implies --wait)")
    add("--log", metavar="FILE", help="Print program log messages (e.g. submitted jobid) to FILE instead of terminal")
    add(
        "--log-stderr",
        metavar="FILE",
        help="Separate stderr messages into FILE instead of terminal or logfile destination",
    )
    add("--progress", action="store_true", help="Show progress of job submission or completion (with --wait)")
    add("--jps", action="store_true", help="With --progress, show job throughput")


def add_slot_options(parser: argparse.ArgumentParser) -> None:
    """BatchAllocCmd's options (batch, alloc)."""
    add = parser.add_argument
    add("--add-brokers", default=0, type=int, help=argparse.SUPPRESS)
    add(
        "--conf",
        metavar="CONF",
        default=None,
        action=_Conf,
        help="Set configuration for a child Flux instance. CONF may be a multiline string in JSON or TOML, a "
        "configuration key=value, a path to a JSON or TOML file, or a configuration loaded by name from a standard "
        "search path. This option may specified multiple times, in which case the config is iteratively updated.",
    )
    add(
        "--broker-opts",
        "--broker-opt",
        metavar="OPTS",
        default=None,
        action="append",
        help="Pass options to flux brokers",
    )
    add("--dump", nargs="?", const="flux-{{jobid}}-dump.tgz", metavar="FILE", help="Archive KVS on exit")
    add(
        "-n",
        "--nslots",
        type=int,
        metavar="N",
        help="Number of total resource slots requested. The size of a resource slot may be specified via the -c, "
        "--cores-per-slot and -g, --gpus-per-slot options. The default slot size is 1 core.",
    )
    add("-c", "--cores-per-slot", type=int, metavar="N", default=1, help="Number of cores to allocate per slot")
    add("-g", "--gpus-per-slot", type=int, metavar="N", help="Number of GPUs to allocate per slot")
    add("-N", "--nodes", type=int, metavar="N", help="Distribute allocated resource slots across N individual nodes")
    add("-x", "--exclusive", action="store_true", help="With -N, --nodes, allocate nodes exclusively")


def add_plugin_options(parser: argparse.ArgumentParser, prog: str) -> Any:
    from flux.cli.plugin import CLIPluginRegistry  # type: ignore[import-not-found,unused-ignore]

    plugins = CLIPluginRegistry(prog)
    group = parser.add_argument_group("Options provided by plugins (--help=OPTION for extended plugin documentation)")
    for option in plugins.options:
        group.add_argument(option.name, **option.kwargs)
    return plugins


def _stdin_file(value: Optional[str]) -> Optional[str]:
    """--input: an idset of ranks is for attach; anything else is a file."""
    if value is None:
        return None
    from flux.idset import IDset  # type: ignore[import-not-found,unused-ignore]

    try:
        IDset(value)
    except (ValueError, OSError):
        return value
    return None


def task_jobspec(args: argparse.Namespace) -> Any:
    """SubmitBaseCmd.init_jobspec: a jobspec from the per-task or per-resource options."""
    from flux.job import JobspecV1  # type: ignore[import-not-found,unused-ignore]

    if not args.command:
        raise ValueError("job command and arguments are missing")
    if args.command[0] == "--":
        args.command.pop(0)
    if args.time_limit is not None:
        try:
            args.time_limit = float(args.time_limit) * 60
        except ValueError:
            pass
    stdin = _stdin_file(args.input)
    names = [
        "ntasks",
        "nodes",
        "cores",
        "cores_per_task",
        "gpus_per_task",
        "tasks_per_node",
        "tasks_per_core",
        "gpus_per_node",
    ]
    for name in names:
        value = getattr(args, name)
        if value:
            try:
                setattr(args, name, int(value))
            except ValueError:
                raise ValueError(f"--{name.replace('_', '-')}: invalid int value '{value}'") from None
    if args.tasks_per_node is not None and args.tasks_per_core is not None:
        raise ValueError("Do not specify both the number of tasks per node and per core")
    per_type = per_count = None
    if args.tasks_per_node is not None:
        if args.tasks_per_node < 1:
            raise ValueError("--tasks-per-node must be >= 1")
        per_type, per_count = "node", args.tasks_per_node
    elif args.tasks_per_core is not None:
        if args.tasks_per_core < 1:
            raise ValueError("--tasks-per-core must be >= 1")
        per_type, per_count = "core", args.tasks_per_core
    if args.gpus_per_node and not args.nodes:
        raise ValueError("--gpus-per-node requires --nodes")
    common = dict(
        duration=args.time_limit,
        cwd=args.cwd if args.cwd is not None else os.getcwd(),
        name=args.job_name,
        input=stdin,
        output=args.output,
        error=args.error,
        label_io=args.label_io,
        unbuffered=args.unbuffered,
        queue=args.queue,
        bank=args.bank,
    )
    if per_type is not None or args.gpus_per_node is not None or args.cores is not None:
        if args.ntasks is not None or args.cores_per_task is not None or args.gpus_per_task:
            raise ValueError("Per-resource options can't be used with per-task options. (See --help for details)")
        if args.nodes and args.cores is None:
            args.exclusive = True
        return JobspecV1.per_resource(
            args.command,
            ncores=args.cores,
            nnodes=args.nodes,
            per_resource_type=per_type,
            per_resource_count=per_count,
            gpus_per_node=args.gpus_per_node,
            exclusive=args.exclusive,
            **common,
        )
    if not args.ntasks and args.nodes:
        args.ntasks = args.nodes
        args.exclusive = True
    return JobspecV1.from_command(
        args.command,
        num_tasks=args.ntasks or 1,
        cores_per_task=args.cores_per_task or 1,
        gpus_per_task=args.gpus_per_task,
        num_nodes=args.nodes,
        exclusive=args.exclusive,
        **common,
    )


def submit_flags(args: argparse.Namespace) -> dict:
    flags = {"waitable": False, "debug": False, "novalidate": False}
    for item in args.flags or []:
        for flag in item.split(","):
            if flag not in flags:
                raise ValueError("--flags: Unknown flag " + flag)
            flags[flag] = True
    return flags


def urgency(args: argparse.Namespace) -> int:
    names = {"default": 16, "hold": 0, "expedite": 31}
    return names[args.urgency] if args.urgency in names else int(args.urgency)


def command_words(args: argparse.Namespace) -> List[str]:
    return list(args.command or [])
