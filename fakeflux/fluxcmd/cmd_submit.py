"""``flux submit``, ``run``, ``bulksubmit``, ``batch`` and ``alloc`` (flux-core's flux/cli/
submit.py, run.py, bulksubmit.py, batch.py, alloc.py): options parsed as flux-core does
(:mod:`.submit_options`), a jobspec from fakeflux's ``flux.job.JobspecV1``, submitted
with ``flux.job.submit_async``; ``run`` and ``alloc`` then attach (in this process:
what ``flux job attach`` would do, :class:`.cmd_job.Attach`)."""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import sys
from typing import Any, Callable, List, Optional, Sequence

from . import submit_options as so
from .pytool import run


def _parser_with_plugins(
    prog: str, plugin_prog: str, build: Callable[[argparse.ArgumentParser], None], **kwargs: Any
) -> tuple:
    parser = so.base_parser(prog, **kwargs)
    build(parser)
    plugins = so.add_plugin_options(parser, plugin_prog)
    return parser, plugins


def _parse(parser: argparse.ArgumentParser, plugins: Any, argv: Sequence[str]) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.help == "default":
        parser.print_help()
        sys.exit(0)
    elif args.help is not None:
        plugins.print_help(args.help)
    if args.list_plugins:
        plugins.print_plugins()
        sys.exit(0)
    return args


def _finish_jobspec(jobspec: Any, args: argparse.Namespace, prog: str, plugins: Any) -> Any:
    jobspec.apply_options(args, prog=prog, _preinit=False)
    if getattr(args, "debug_emulate", False):
        jobspec.setattr_shell_option("stop-tasks-in-exec", 1)
    return jobspec


def _submit(h: Any, jobspec: Any, args: argparse.Namespace) -> Any:
    from flux.job import submit_async  # type: ignore[import-not-found,unused-ignore]

    if args.dry_run:
        print(jobspec.dumps())
        sys.exit(0)
    return submit_async(h, jobspec.dumps(), urgency=so.urgency(args), **so.submit_flags(args))


def _handle() -> Any:
    import flux  # type: ignore[import-not-found,unused-ignore]

    return flux.Flux()


# -- submit ----------------------------------------------------------------------------
def _submit_parser(prog: str, plugin_prog: str, description: str, bulk_inputs: bool = False) -> tuple:
    def build(parser: argparse.ArgumentParser) -> None:
        so.add_task_options(parser)
        so.add_bulk_options(parser)
        if bulk_inputs:
            parser.add_argument("--shuffle", action="store_true", help="Shuffle list of commands before submission")
            parser.add_argument(
                "--sep", type=str, metavar="STRING", default=" ", help="Change separator for stdin input (default=' ')"
            )
            parser.add_argument(
                "--define",
                "-D",
                action="append",
                type=lambda kv: kv.split("=", 1),
                dest="methods",
                metavar="NAME=CODE",
                help="Define a named method that will be made available as an attribute",
            )
            parser.add_argument("command", nargs=argparse.REMAINDER, help="Job command and initial arguments")
        else:
            parser.add_argument("command", nargs=argparse.REMAINDER, help="Job command and arguments")

    return _parser_with_plugins(prog, plugin_prog, build, description=description)


def _cc_ids(args: argparse.Namespace) -> List[Optional[int]]:
    spec = args.cc or args.bcc
    if args.cc and args.bcc:
        raise ValueError("specify only one of --cc or --bcc")
    if not spec:
        return [None]
    from flux.idset import IDset  # type: ignore[import-not-found,unused-ignore]

    return list(IDset(spec))


def _submit_all(h: Any, args: argparse.Namespace, make: Callable[[Optional[int]], Any]) -> List[Any]:
    """Submit one job per --cc id (or just one); print each id; return the ids."""
    futures = []
    for cc in _cc_ids(args):
        jobspec = make(cc)
        if cc is not None and args.cc:
            jobspec.environment["FLUX_JOB_CC"] = str(cc)
        futures.append(_submit(h, jobspec, args))
    return _collect(futures, args)


def _collect(futures: List[Any], args: argparse.Namespace) -> List[Any]:
    ids = []
    out = open(args.log, "a") if getattr(args, "log", None) else sys.stdout  # noqa: SIM115 - kept to the end
    errors = 0
    for future in futures:
        try:
            jobid = future.get_id()
        except OSError as exc:
            sys.stderr.write(f"{exc.strerror or exc}\n")
            errors += 1
            continue
        ids.append(jobid)
        if not args.quiet:
            print(jobid, file=out, flush=True)
    if errors:
        args.exitcode = 1
    return ids


def _wait_all(h: Any, ids: List[Any], args: argparse.Namespace) -> int:
    """--wait/--wait-event/--watch: each job's output (--watch) and the largest exit code."""
    from . import jobwatch
    from .cmd_job import Attach
    from .optparse import Parsed

    exitcode = 0
    for jobid in ids:
        if args.watch:
            opts = Parsed(values={"label-io": [None]} if args.label_io else {}, args=[])
            exitcode = max(exitcode, Attach(h, int(jobid), jobid.f58, jobid.f58, opts, quiet_exit=True).run())
            continue
        event = args.wait or "clean"
        for entry in jobwatch.EventWatch(h, int(jobid)):
            if entry.get("name") == "finish":
                exitcode = max(exitcode, jobwatch.waitstatus_exitcode(int((entry.get("context") or {})["status"])))
            if entry.get("name") == "exception" and (entry.get("context") or {}).get("severity") == 0:
                exitcode = max(exitcode, 1)
            if entry.get("name") == event or entry.get("name") == "clean":
                break
    return exitcode


def main_submit(argv: List[str]) -> int:
    logger = logging.getLogger("flux-submit")
    parser, plugins = _submit_parser("flux submit", "submit", "enqueue a job")

    def body() -> None:
        args = _parse(parser, plugins, argv[1:])
        args.exitcode = 0
        plugins.preinit(args)
        base = so.task_jobspec(args)
        _finish_jobspec(base, args, "submit", plugins)
        h = _handle() if not args.dry_run else None
        template = base.dumps()

        def make(cc: Optional[int]) -> Any:
            from flux.job import JobspecV1  # type: ignore[import-not-found,unused-ignore]

            return JobspecV1.from_yaml_stream(template) if cc is not None else base

        ids = _submit_all(h, args, make)
        if args.watch:
            args.wait = args.wait or "clean"
        if args.wait:
            args.exitcode = max(args.exitcode, _wait_all(h, ids, args))
        sys.exit(args.exitcode)

    run(logger, body)


# -- run -------------------------------------------------------------------------------
def main_run(argv: List[str]) -> int:
    logger = logging.getLogger("flux-run")

    def build(parser: argparse.ArgumentParser) -> None:
        so.add_task_options(parser)
        parser.add_argument("--wait-event", metavar="NAME", help="Pass --wait-event=NAME to flux-job attach")
        parser.add_argument("command", nargs=argparse.REMAINDER, help="Job command and arguments")

    parser, plugins = _parser_with_plugins("flux run", "run", build, description="run a job interactively")

    def body() -> None:
        args = _parse(parser, plugins, argv[1:])
        plugins.preinit(args)
        jobspec = _finish_jobspec(so.task_jobspec(args), args, "run", plugins)
        h = _handle() if not args.dry_run else None
        jobid = _submit(h, jobspec, args).get_id()
        if args.verbose > 0:
            print("jobid:", jobid, file=sys.stderr, flush=True)
        sys.exit(_attach(h, jobid, args))

    run(logger, body)


def _attach(h: Any, jobid: Any, args: argparse.Namespace) -> int:
    from .cmd_job import Attach
    from .optparse import Parsed

    values: dict = {}
    if getattr(args, "label_io", False):
        values["label-io"] = [None]
    if getattr(args, "verbose", 0) > 1:
        values["show-events"] = [None]
    if getattr(args, "wait_event", None):
        values["wait-event"] = [args.wait_event]
    return Attach(h, int(jobid), jobid.f58, jobid.f58, Parsed(values=values, args=[])).run()


# -- bulksubmit ------------------------------------------------------------------------
def main_bulksubmit(argv: List[str]) -> int:
    logger = logging.getLogger("flux-bulksubmit")
    parser, plugins = _submit_parser("flux bulksubmit", "bulksubmit", "Submit job for each input", bulk_inputs=True)

    def body() -> None:
        args = _parse(parser, plugins, argv[1:])
        args.exitcode = 0
        template, inputs = _split_inputs(list(args.command), args.sep)
        if not template:
            raise ValueError("job command and arguments are missing")
        h = None if args.dry_run else _handle()
        futures = []
        for seq, combo in enumerate(itertools.product(*inputs) if inputs else [()]):
            job_args = argparse.Namespace(**vars(args))
            job_args.command = [_substitute(word, combo, seq) for word in template]
            for name in ("job_name", "output", "error", "input", "cwd"):
                value = getattr(args, name, None)
                if isinstance(value, str):
                    setattr(job_args, name, _substitute(value, combo, seq))
            plugins.preinit(job_args)
            jobspec = _finish_jobspec(so.task_jobspec(job_args), job_args, "bulksubmit", plugins)
            for cc in _cc_ids(args):
                if cc is not None and args.cc:
                    jobspec.environment["FLUX_JOB_CC"] = str(cc)
                futures.append(_submit(h, jobspec, args))
        ids = _collect(futures, args)
        if args.watch:
            args.wait = args.wait or "clean"
        if args.wait:
            args.exitcode = max(args.exitcode, _wait_all(h, ids, args))
        sys.exit(args.exitcode)

    run(logger, body)


def _split_inputs(words: List[str], sep: str) -> tuple:
    """COMMAND... [::: INPUTS...]... (:::+ links, ::: FILE reads lines); stdin lines without any."""
    template: List[str] = []
    inputs: List[List[str]] = []
    current: Optional[List[str]] = None
    mode = ""
    for word in words:
        if word in (":::", "::::", ":::+", "::::+"):
            current = []
            inputs.append(current)
            mode = word
            continue
        if current is None:
            template.append(word)
        elif mode.startswith("::::"):
            with open(word) as f:
                current.extend(line.rstrip("\n") for line in f)
        else:
            current.append(word)
    if not inputs:
        data = sys.stdin.read()
        lines = [line for line in data.splitlines() if line]
        inputs = [lines if sep == " " else [item for line in lines for item in line.split(sep)]]
    return template, inputs


def _substitute(word: str, combo: Sequence[str], seq: int) -> str:
    class _Args(list):
        def __str__(self) -> str:
            return " ".join(self)

    values = _Args(combo)
    text = word.replace("{}", "{0}") if "{}" in word else word
    try:
        return text.format(*values, seq=seq, seq1=seq + 1, cc="{cc}")
    except (IndexError, KeyError):
        return text


# -- batch / alloc -----------------------------------------------------------------------
def main_batch(argv: List[str]) -> int:
    logger = logging.getLogger("flux-batch")

    def build(parser: argparse.ArgumentParser) -> None:
        so.add_slot_options(parser)
        parser.add_argument("--wrap", action="store_true", help="Wrap arguments or stdin in a /bin/sh script")
        parser.add_argument("SCRIPT", nargs=argparse.REMAINDER, help="Batch script and arguments to submit")

    parser, plugins = _parser_with_plugins(
        "flux batch",
        "batch",
        build,
        usage="flux batch [OPTIONS...] [SCRIPT] [ARGS...]",
        description="submit a batch script to Flux",
        exclude_io=True,
    )

    def body() -> None:
        from flux.job import JobspecV1  # type: ignore[import-not-found,unused-ignore]

        args = _parse(parser, plugins, argv[1:])
        _init_slots(args)
        plugins.preinit(args)
        script = args.SCRIPT
        content: Optional[str] = None
        path: Optional[str] = None
        if args.wrap:
            content = "#!/bin/sh\n" + (" ".join(script) + "\n" if script else sys.stdin.read())
            script = []
        elif script:
            path = script[0]
        else:
            content = sys.stdin.read()
        if content is not None and not content.startswith("#!"):
            raise ValueError("batch does not appear to start with '#!'")
        jobspec = JobspecV1.from_batch(
            path,
            content=content,
            nslots=args.nslots,
            nodes=args.nodes,
            cores_per_slot=args.cores_per_slot,
            gpus_per_slot=args.gpus_per_slot,
            exclusive=args.exclusive,
            broker_opts=args.broker_opts,
            conf=args.conf.config if args.conf else None,
            name=args.job_name,
            queue=args.queue,
            bank=args.bank,
            cwd=args.cwd,
            output=args.output,
            error=args.error,
            unbuffered=args.unbuffered,
        )
        if args.time_limit is not None:
            jobspec.duration = args.time_limit
        _finish_jobspec(jobspec, args, "batch", plugins)
        h = None if args.dry_run else _handle()
        jobid = _submit(h, jobspec, args).get_id()
        if not args.quiet:
            print(jobid)

    run(logger, body)


def _init_slots(args: argparse.Namespace) -> None:
    if not args.nslots:
        if not args.nodes:
            raise ValueError("Number of slots to allocate must be specified")
        args.nslots = args.nodes
        args.exclusive = True
    if args.dump:
        args.broker_opts = [*(args.broker_opts or []), "-Scontent.dump=" + args.dump]
    if args.time_limit is not None:
        try:
            args.time_limit = float(args.time_limit) * 60
        except ValueError:
            pass


def main_alloc(argv: List[str]) -> int:
    logger = logging.getLogger("flux-alloc")

    def build(parser: argparse.ArgumentParser) -> None:
        so.add_slot_options(parser)
        parser.add_argument(
            "-v", "--verbose", action="count", default=0, help="Increase verbosity on stderr (multiple use OK)"
        )
        parser.add_argument(
            "--bg", action="store_true", help="Wait for new instance to start, but do not attach to it."
        )
        parser.add_argument(
            "COMMAND",
            nargs=argparse.REMAINDER,
            help="Set the initial COMMAND of new Flux instance.(default is an interactive shell)",
        )

    parser, plugins = _parser_with_plugins(
        "flux alloc",
        "alloc",
        build,
        usage="flux alloc [OPTIONS...] [COMMAND] [ARGS...]",
        description="allocate a new Flux instance for interactive use",
        exclude_io=True,
    )

    def body() -> None:
        from flux.job import JobspecV1  # type: ignore[import-not-found,unused-ignore]

        args = _parse(parser, plugins, argv[1:])
        _init_slots(args)
        plugins.preinit(args)
        if args.bg and not args.COMMAND:
            args.broker_opts = [*(args.broker_opts or []), "-Sbroker.rc2_none=1"]
        jobspec = JobspecV1.from_nest_command(
            command=args.COMMAND,
            num_slots=args.nslots,
            cores_per_slot=args.cores_per_slot,
            gpus_per_slot=args.gpus_per_slot,
            num_nodes=args.nodes,
            broker_opts=args.broker_opts,
            exclusive=args.exclusive,
            conf=args.conf.config if args.conf else None,
            duration=args.time_limit,
            name=args.job_name,
            cwd=args.cwd if args.cwd is not None else os.getcwd(),
            unbuffered=args.unbuffered,
            queue=args.queue,
            bank=args.bank,
        )
        if args.bg:
            jobspec.setattr_shell_option("pty.capture", 1)
        _finish_jobspec(jobspec, args, "alloc", plugins)
        h = None if args.dry_run else _handle()
        jobid = _submit(h, jobspec, args).get_id()
        if args.bg:
            print(jobid)
            sys.exit(0)
        if args.verbose > 0:
            print("jobid:", jobid, file=sys.stderr, flush=True)
        sys.exit(_attach(h, jobid, argparse.Namespace(verbose=args.verbose)))

    run(logger, body)
