"""``flux submit``, ``run``, ``bulksubmit``, ``batch`` and ``alloc`` (flux-core's flux/cli/
submit.py, run.py, bulksubmit.py, batch.py, alloc.py): options parsed as flux-core does
(:mod:`.submit_options`), a jobspec from fakeflux's ``flux.job.JobspecV1``, submitted
with ``flux.job.submit_async``; ``run`` and ``alloc`` then attach (in this process:
what ``flux job attach`` would do, :class:`.cmd_job.Attach`)."""

from __future__ import annotations

import argparse
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
    so.hide_aliases(parser)
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
                "--sep",
                type=str,
                metavar="STRING",
                default="\n",
                help="Set the input argument separator. To split on whitespace, use --sep=none. The default is "
                "newline.",
            )
            parser.add_argument(
                "--define",
                action="append",
                type=lambda kv: kv.split("="),
                dest="methods",
                default=[],
                metavar="NAME=CODE",
                help="Define a named method for transforming any input, accessible via e.g. '{0.NAME}'. (local "
                "variable 'x' will contain the input string to be transformed)",
            )
            parser.add_argument("command", nargs=argparse.REMAINDER, help="Job command and initial arguments")
        else:
            parser.add_argument("command", nargs=argparse.REMAINDER, help="Job command and arguments")

    return _parser_with_plugins(prog, plugin_prog, build, description=description)


def _cc_list(args: Any) -> List[Any]:
    if args.cc and args.bcc:
        raise ValueError("specify only one of --cc or --bcc")
    spec = args.cc or args.bcc
    if not spec:
        return [""]
    from flux.idset import IDset  # type: ignore[import-not-found,unused-ignore]

    return list(IDset(spec))


class _Submitter:
    """SubmitBulkCmd's submission: one job per --cc/--bcc id (``{cc}`` substituted),
    ids printed as they are assigned (to --log when given), errors counted."""

    def __init__(self, prog: str, plugins: Any) -> None:
        self.prog = prog
        self.plugins = plugins
        self.pending: List[tuple] = []
        self.h: Any = None
        self.exitcode = 0
        self.logfiles: dict = {}

    def add(self, args: Any) -> None:
        from .bulk import Xcmd

        for cc in _cc_list(args):
            xargs = Xcmd(args, [], cc=cc).namespace() if isinstance(cc, int) else argparse.Namespace(**vars(args))
            self.plugins.preinit(xargs)
            jobspec = _finish_jobspec(so.task_jobspec(xargs), xargs, self.prog, self.plugins)
            label = ""
            if args.cc or args.bcc:
                label = f"cc={cc}: "
                if not args.bcc:
                    jobspec.environment["FLUX_JOB_CC"] = str(cc)
            if jobspec is not None and not args.dry_run and self.h is None:
                self.h = _handle()
            self.pending.append((_submit(self.h, jobspec, xargs), xargs, label))

    def _stream(self, name: Optional[str], default: Any) -> Any:
        if not name:
            return default
        if name not in self.logfiles:
            self.logfiles[name] = open(name, "w", buffering=1)  # noqa: SIM115 - closed in finish()
        return self.logfiles[name]

    def finish(self) -> List[Any]:
        ids = []
        for future, xargs, label in self.pending:
            out = self._stream(getattr(xargs, "log", None), sys.stdout)
            err = self._stream(getattr(xargs, "log_stderr", None), out if getattr(xargs, "log", None) else sys.stderr)
            try:
                jobid = future.get_id()
            except OSError as exc:
                print(f"{label}{exc}", file=err, flush=True)
                self.exitcode = 1
                continue
            ids.append(jobid)
            if not xargs.quiet:
                print(jobid, file=out, flush=True)
        for f in self.logfiles.values():
            f.close()
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
        submitter = _Submitter("submit", plugins)
        submitter.add(args)
        ids = submitter.finish()
        exitcode = submitter.exitcode
        if args.watch:
            args.wait = args.wait or "clean"
        if args.wait:
            exitcode = max(exitcode, _wait_all(submitter.h, ids, args))
        sys.exit(exitcode)

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
BULK_DESCRIPTION = """
    Submit a series of commands given on the command line or on stdin,
    using an interface similar to GNU parallel or xargs. Allows jobs to be
    submitted much faster than calling flux submit in a loop. Inputs on the
    command line are separated from each other and the command with the
    special delimiter ':::'.
    """


def main_bulksubmit(argv: List[str]) -> int:
    logger = logging.getLogger("flux-bulksubmit")
    parser, plugins = _submit_parser("flux bulksubmit", "bulksubmit", BULK_DESCRIPTION, bulk_inputs=True)

    def body() -> None:
        import random

        from .bulk import create_commands

        args = _parse(parser, plugins, argv[1:])
        if not args.command:
            args.command = ["{}"]
        commands = create_commands(args)
        if args.shuffle:
            random.shuffle(commands)
        total = sum(len(_cc_list(xcmd)) for xcmd in commands)
        if total == 0:
            raise ValueError("no jobs provided for bulk submission")
        if args.progress and args.dry_run:
            print(f"bulksubmit: submitting a total of {total} jobs")
        submitter = _Submitter("bulksubmit", plugins)
        for xcmd in commands:
            if args.verbose or args.dry_run:
                print(f"bulksubmit: submit {xcmd}")
            if not args.dry_run:
                submitter.add(xcmd.namespace())
        if args.dry_run:
            sys.exit(0)
        ids = submitter.finish()
        exitcode = submitter.exitcode
        if args.watch:
            args.wait = args.wait or "clean"
        if args.wait:
            exitcode = max(exitcode, _wait_all(submitter.h, ids, args))
        sys.exit(exitcode)

    run(logger, body)


# -- batch / alloc -----------------------------------------------------------------------
BATCH_DESCRIPTION = """
    Submit a batch SCRIPT and ARGS to be run as the initial program of
    a Flux instance.  If no batch script is provided, one will be read
    from stdin.
    """
ALLOC_DESCRIPTION = """
    Allocate resources and start a new Flux instance. Once the instance
    has started, attach to it interactively.
    """


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
        description=BATCH_DESCRIPTION,
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


def _alloc_background(h: Any, jobid: Any, verbose: int) -> None:
    """flux alloc --bg as flux-core's: follow the job's eventlog until the new
    instance posts its ``uri`` memo, then wait for that instance to reach RUN
    (state-machine.wait); with -v, timed progress lines on stderr."""
    import time

    import flux  # type: ignore[import-not-found,unused-ignore]
    from flux.job import JobID, event_watch  # type: ignore[import-not-found,unused-ignore]
    from flux.uri import JobURI  # type: ignore[import-not-found,unused-ignore]

    jobid = JobID(jobid)

    def log(ts: float, msg: str) -> None:
        print(f"{jobid}: {ts:6.3f}s: {msg}", file=sys.stderr, flush=True)

    if verbose:
        log(0.0, "waiting for resources")
    t0 = 0.0
    try:
        for event in event_watch(h, jobid):
            t0 = t0 or event.timestamp
            if verbose and event.name == "alloc":
                log(event.timestamp - t0, "resources allocated")
            if event.name == "memo" and "uri" in event.context:
                if verbose:
                    log(event.timestamp - t0, "waiting for instance")
                try:
                    child = flux.Flux(str(JobURI(event.context["uri"])))
                except OSError as exc:
                    raise OSError(f"Unable to connect to {jobid}: {exc}") from None
                try:
                    child.rpc("state-machine.wait").get()
                except OSError:
                    raise OSError(f"{jobid}: instance startup failed") from None
                if verbose:
                    log(time.time() - t0, "ready")
                return
    except KeyboardInterrupt:
        print(f"\r{jobid}: Interrupt: canceling job", file=sys.stderr)
        flux.job.cancel(h, jobid)
        sys.exit(1)
    # the eventlog ended first: show what the job said, as flux-core does
    sys.stdout.flush()
    os.system(f"flux job attach {jobid} >&2")
    raise OSError(f"{jobid}: unexpectedly exited")


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
        description=ALLOC_DESCRIPTION,
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
            _alloc_background(h, jobid, args.verbose)
            print(jobid)
            sys.exit(0)
        if args.verbose > 0:
            print("jobid:", jobid, file=sys.stderr, flush=True)
        sys.exit(_attach(h, jobid, argparse.Namespace(verbose=args.verbose)))

    run(logger, body)
