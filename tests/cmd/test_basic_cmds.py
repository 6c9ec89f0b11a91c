"""fakeflux's ``flux`` command, first group: attributes, ping, logger/dmesg, config, kvs,
event, version and the front end's own errors.  Each expectation (stdout, stderr, exit
status) was recorded from flux-core v0.88.0-59 (``flux start --test-size=4``) for the
same request; what varies between runs (rundirs, times, routes) is scrubbed."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from .fluxrun import flux, scrub

GETATTR_USAGE = "Usage: flux getattr name\nGet broker attribute\n  -h, --help             Display this message.\n"
SETATTR_USAGE = (
    "Usage: flux setattr name value\nSet broker attribute\n"
    "  -h, --help             Display this message.\n"
    "  -f, --force            force update of attribute that doesn't support runtime\n"
    "                         changes\n"
)
LSATTR_USAGE = (
    "Usage: flux lsattr [-v]\nList broker attributes\n"
    "  -h, --help             Display this message.\n"
    "  -v, --values           List values with attributes\n"
)
PING_USAGE = """Usage: flux-ping [OPTIONS] TARGET
  -h, --help             Display this message.
  -r, --rank=RANK        Find target on a specific broker rank
  -p, --pad=N            Include in the payload a string of length N bytes
  -i, --interval=N       Specify the delay, in seconds, between successive
                         requests
  -c, --count=N          Specify the number of requests to send
  -b, --batch            Begin processing responses after all requests are sent
  -u, --userid           Include userid and rolemask in ping output
"""
CONFIG_USAGE = """Usage: flux config load [PATH]
   or: flux config reload [OPTIONS]
   or: flux config get [OPTIONS] [NAME]
   or: flux config set [OPTIONS] NAME VALUE
   or: flux config unset NAME
   or: flux config builtin NAME
Manage configuration
  -h, --help             Display this message.
"""
KVS_USAGE = """Usage: flux-kvs [OPTIONS] COMMAND ARGS
  -h, --help             Display this message.

Common commands from flux-kvs:
   namespace       Perform KVS namespace operations
   get             Get value stored under key
   put             Store value under key
   dir             Display all keys under directory
   ls              List directory
   unlink          Remove key
   link            Create a new name for target
   readlink        Retrieve the key a link refers to
   mkdir           Create a directory
   copy            Copy source key to destination key
   move            Move source key to destination key
   version         Display current KVS version
   wait            Block until the KVS reaches version
   getroot         Get KVS root treeobj
   sync            sync content and checkpoint to disk
   eventlog        Manipulate a KVS eventlog
"""
KVS_GET_USAGE = (
    ("Usage: flux-kvs get [-N ns] [-r|-t] [-a treeobj] [-l] [-W] [-w] [-u] [-A] [-f] [-S] [-c COUNT] key [key...]\n")
    + """Get value stored under key
  -h, --help             Display this message.
  -N, --namespace        Specify KVS namespace to use.
  -r, --raw              Interpret value(s) as raw data
  -t, --treeobj          Show RFC 11 object
  -a, --at               Lookup relative to RFC 11 snapshot reference
  -l, --label            Print key= before value
  -W, --waitcreate       Wait for creation to occur on watch
  -w, --watch            Monitor key writes
  -u, --uniq             Only monitor key writes if values have changed
  -A, --append           Only monitor key appends
  -f, --full             Monitor key changes with more complete accuracy
  -c, --count=COUNT      Display at most COUNT changes
  -S, --stream           Return potentially large values in multiple responses.
"""
)
EVENT_USAGE = """Usage: flux-event pub [OPTIONS] topic [payload]
   or: flux-event sub [OPTIONS] [topic...]
  -h, --help             Display this message.
"""

TOP_USAGE = """Usage: flux [OPTIONS] COMMAND ARGS
  -h, --help             Display this message.
  -v, --verbose          Be verbose about environment and command search
  -V, --version          Display command and component versions
  -p, --parent           Set environment of parent instead of current instance
  -r, --root             Set environment of root instead of current instance

For general Flux documentation, please visit
    https://flux-framework.readthedocs.io

run and submit jobs, allocate resources
   submit             submit a job to a Flux instance
   run                run a Flux job interactively
   bulksubmit         submit jobs in bulk to a Flux instance
   alloc              allocate a new Flux instance for interactive use
   batch              submit a batch script to Flux

list and interact with jobs
   jobs               list jobs submitted to Flux
   top                display running Flux jobs
   pstree             display job hierarchies
   cancel             cancel one or more jobs
   pgrep/pkill        search or cancel matching jobs
   job                get job status, info, etc (see: flux help job)
   proxy              proxy connections to Flux jobs and instances
   watch              monitor one or more Flux jobs
   update             update active Flux jobs

get resource, queue and other instance information
   resource           list/manipulate Flux resource status
   queue              list and manipulate flux queues
   overlay            Show flux overlay network status
   uptime             Tell how long Flux has been up and running

other useful commands
   start              bootstrap a local Flux instance
   version            Display flux version information
   config             Manage/query Flux configuration
   env                Print the flux environment or execute a command inside it
   admin              Flux administration subcommands
   hostlist           fetch, combine, and manipulate Flux hostlists

See 'flux help COMMAND' for more information about a specific command.
"""

# (arguments, exit status, stdout, stderr), as flux-core printed them
CASES = [
    (["getattr", "size"], 0, "4\n", ""),
    (["getattr", "nosuch"], 1, "", "flux-getattr: nosuch: No such file or directory\n"),
    (["getattr"], 1, "", GETATTR_USAGE),
    (["getattr", "--help"], 0, "", GETATTR_USAGE),
    (
        ["getattr", "--bogus"],
        1,
        "",
        "flux getattr: unrecognized option '--bogus'\nTry `flux getattr --help' for more information.\n",
    ),
    (
        ["getattr", "-x", "size"],
        1,
        "",
        "flux getattr: unrecognized option '-x'\nTry `flux getattr --help' for more information.\n",
    ),
    (["setattr", "log-stderr-level", "5"], 0, "", ""),
    (["setattr", "size", "5"], 1, "", "flux-setattr: size: attribute may not be updated\n"),
    (["setattr", "nosuch", "5"], 1, "", "flux-setattr: nosuch: unknown attribute\n"),
    (["setattr", "a"], 1, "", SETATTR_USAGE),
    (["lsattr", "x"], 1, "", LSATTR_USAGE),
    (
        ["ping", "-c", "1", "-u", "2!broker"],
        0,
        "flux-ping 2!broker\n2!broker.ping pad=0 userid=0 rolemask=0x1 seq=0 time=T ms (ROUTE)\n",
        "",
    ),
    (
        ["ping", "-c", "2", "-i", "0.01", "1"],
        0,
        "flux-ping 1!broker\n1!broker.ping pad=0 seq=0 time=T ms (ROUTE)\n"
        "1!broker.ping pad=0 seq=1 time=T ms (ROUTE)\n",
        "",
    ),
    (["ping", "-c", "1", "9"], 1, "flux-ping 9!broker\n", "flux-ping: 9!broker.ping: No route to host\n"),
    (["ping", "-c", "1", "x!y"], 1, "", "flux-ping: invalid nodeid/host: 'x'\n"),
    (["ping", "-c", "1", "nosuch"], 1, "flux-ping any!nosuch\n", "flux-ping: nosuch.ping: Function not implemented\n"),
    (["ping"], 1, "", PING_USAGE),
    (["ping", "-c", "x", "1"], 1, "", "flux-ping: flux-ping: Option 'count' requires an integer argument\n"),
    (
        ["logger", "-s", "bogus", "x"],
        1,
        "",
        "flux-logger: invalid severity: Use emerg|alert|crit|err|warning|notice|info|debug\n",
    ),
    (
        ["logger", "--bogus", "x"],
        1,
        "",
        "logger: unrecognized option '--bogus'\nUsage: flux-logger [--severity LEVEL] [--appname NAME] message ...\n",
    ),
    (["dmesg", "x"], 1, "", "flux-dmesg: flux-dmesg accepts no free arguments\n"),
    (["dmesg", "-d"], 1, "", "flux-dmesg: --delta can only be used with --human\n"),
    (["config", "get"], 0, "{}\n", ""),
    (["config", "get", "foo"], 1, "", "flux-config: foo is not set\n"),
    (["config", "get", "-q", "foo"], 1, "", ""),
    (["config", "get", "-d", "dflt", "foo"], 0, "dflt\n", ""),
    (["config", "get", "-t", "bogus"], 1, "", "flux-config: Unknown type: bogus\n"),
    (["config"], 1, "", "flux config: missing subcommand\n" + CONFIG_USAGE),
    (["config", "nosuch"], 1, "", "flux config: Unknown subcommand: nosuch\n" + CONFIG_USAGE),
    (["nosuchcmd"], 1, "", "flux: `nosuchcmd' is not a flux command.  See 'flux --help'\n"),
    (
        ["jbos"],
        1,
        "",
        "flux: `jbos' is not a flux command.  See 'flux --help'\nflux: The most similar commands are\n"
        "flux: \tjob\nflux: \tjobs\n",
    ),
    (["--bogus"], 1, "", "flux: unrecognized option '--bogus'\nTry `flux --help' for more information.\n"),
    ([], 1, "", TOP_USAGE),
    (["uri", "bogus:x"], 1, "", "flux-uri: ERROR: No plugin for URI scheme bogus\n"),
    (["-p", "getattr", "instance-level"], 0, "0\n", ""),
    (["env", "true"], 0, "", ""),
    (["env", "nosuchcmd"], 1, "", "flux: execvp (nosuchcmd): No such file or directory\n"),
    (["kvs"], 1, "", KVS_USAGE),
    (["kvs", "nosuch"], 1, "", KVS_USAGE),
    (["kvs", "get", "-h"], 0, "", KVS_GET_USAGE),
    (["kvs", "get", "nosuch"], 1, "", "flux-kvs: nosuch: No such file or directory\n"),
    (["kvs", "put", "bad"], 1, "", "flux-kvs: put: you must specify a value as key=value\n"),
    (
        ["kvs", "put", "-j", "j={}"],
        1,
        "",
        "flux-kvs put: unrecognized option '-j'\nTry `flux-kvs put --help' for more information.\n",
    ),
    (["kvs", "ls", "nosuch"], 1, "", "nosuch: No such file or directory\n"),
    (["kvs", "unlink", "nosuch"], 1, "", "flux-kvs: cannot unlink 'nosuch': No such file or directory\n"),
    (["kvs", "unlink", "-f", "nosuch"], 0, "", ""),
    (["event"], 1, "", EVENT_USAGE),
    (["event", "pub", "foo.bar", '{"x":1}'], 0, "", ""),
]


@pytest.mark.parametrize("args,status,out,err", CASES, ids=[" ".join(c[0]) or "none" for c in CASES])
def test_as_flux_core_prints(flux_instance: Any, args: list, status: int, out: str, err: str) -> None:
    result = flux(flux_instance.uri(0), *args)
    assert (result.returncode, scrub(result.stdout), result.stderr) == (status, out, err)


def test_lsattr_values_columns(flux_instance: Any) -> None:
    result = flux(flux_instance.uri(0), "lsattr", "-v")
    lines = result.stdout.splitlines()
    assert f"{'size':<40}4" in lines and f"{'version':<40}0.88.0-59-g4a5e79f56" in lines
    names = [line.split()[0] for line in lines]
    assert names == sorted(names) and result.returncode == 0


def test_version(flux_instance: Any) -> None:
    out = flux(flux_instance.uri(0), "version").stdout
    assert out.startswith("commands:    \t\t0.88.0-59-g4a5e79f56\nlibflux-core:\t\t0.88.0-59-g4a5e79f56\n")
    assert f"broker:  \t\t0.88.0-59-g4a5e79f56\nFLUX_URI:\t\t{flux_instance.uri(0)}\n" in out


def test_logger_then_dmesg(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    assert flux(uri, "logger", "hello", "world").returncode == 0
    assert flux(uri, "logger", "-n", "myapp", "-s", "err", "problem", "100%").returncode == 0
    lines = scrub(flux(uri, "dmesg").stdout).splitlines()
    assert lines[-2:] == ["TIMESTAMP logger.notice[0]: hello world", "TIMESTAMP myapp.err[0]: problem 100%"]
    assert flux(uri, "dmesg", "-C").returncode == 0
    assert flux(uri, "dmesg").stdout == ""


def test_kvs_session(flux_instance: Any) -> None:
    """The same sequence as recorded on flux-core (its KVS also holds admin. and resource.)."""
    uri = flux_instance.uri(0)
    assert flux(uri, "kvs", "put", "a=1", "b.c=hello").returncode == 0
    assert flux(uri, "kvs", "get", "a", "b.c").stdout == "1\nhello\n"
    got = flux(uri, "kvs", "get", "b")
    assert (got.returncode, got.stderr) == (1, "flux-kvs: b: Is a directory\n")
    assert flux(uri, "kvs", "ls", "-R", "b").stdout == "b:\nc\n"
    assert flux(uri, "kvs", "dir", "b").stdout == "b.c = hello\n"
    assert flux(uri, "kvs", "mkdir", "d").returncode == 0
    assert flux(uri, "kvs", "unlink", "a").returncode == 0
    again = flux(uri, "kvs", "unlink", "a")
    assert (again.returncode, again.stderr) == (1, "flux-kvs: cannot unlink 'a': No such file or directory\n")
    assert flux(uri, "kvs", "eventlog", "append", "el", "ev1", '{"a":1}').returncode == 0
    assert scrub(flux(uri, "kvs", "eventlog", "get", "el").stdout) == "EPOCH ev1 a=1\n"
    unformatted = scrub(flux(uri, "kvs", "eventlog", "get", "-u", "el").stdout)
    assert unformatted == '{"timestamp":EPOCH,"name":"ev1","context":{"a":1}}\n'
    assert flux(uri, "kvs", "eventlog", "wait-event", "-q", "el", "ev1").returncode == 0


def test_event_sub_sees_what_pub_sends(flux_instance: Any) -> None:
    import subprocess
    import time

    from .fluxrun import FLUX, flux_env

    uri = flux_instance.uri(0)
    sub = subprocess.Popen(
        [FLUX, "event", "sub", "-c", "2", "ev."], env=flux_env(uri), stdout=subprocess.PIPE, text=True
    )
    try:
        # the subscription is in place once the broker counts it; publish until the subscriber hears
        deadline = time.monotonic() + 30
        while sub.poll() is None and time.monotonic() < deadline:
            flux(uri, "event", "pub", "ev.a")
            flux(uri, "event", "pub", "ev.b", '{"k":2}')
            try:
                out, _ = sub.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            out = ""
    finally:
        if sub.poll() is None:
            sub.kill()
        sub.wait()
    assert out in ('ev.a\t\nev.b\t{"k":2}\n', 'ev.b\t{"k":2}\nev.a\t\n')


def test_python_and_uri(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    py = flux(uri, "python", "-c", "import flux; print(flux.Flux().attr_get('size'))")
    assert (py.returncode, py.stdout) == (0, "4\n")
    assert flux(uri, "uri", uri).stdout == uri + "\n"
    remote = flux(uri, "uri", "--remote", uri).stdout.strip()
    assert remote.startswith("ssh://") and remote.endswith(uri[len("local://") :])


NO_BROKER = [
    (["getattr", "size"], "flux: flux_open: No such file or directory\n"),
    (
        ["submit", "true"],
        "flux-submit: ERROR: Unable to connect to Flux: broker socket /run/flux/local was not found\n",
    ),
    (["job", "status", "f123"], "flux-job: flux_open: No such file or directory\n"),
    (["kvs", "get", "a"], "flux-kvs: flux_open: No such file or directory\n"),
    (["ping", "-c1", "0"], "flux-ping: flux_open: No such file or directory\n"),
    (["event", "pub", "a"], "flux-event: flux_open: No such file or directory\n"),
    (["dmesg"], "flux-dmesg: flux_open: No such file or directory\n"),
    (
        ["cancel", "f123"],
        "flux-cancel: ERROR: Unable to connect to Flux: broker socket /run/flux/local was not found\n",
    ),
    (["run", "true"], "flux-run: ERROR: Unable to connect to Flux: broker socket /run/flux/local was not found\n"),
    (["exec", "true"], "flux-exec: flux_open: No such file or directory\n"),
    (["logger", "x"], "flux-logger: flux_open: No such file or directory\n"),
    (["config", "get"], "flux-config: flux_open: No such file or directory\n"),
]


def test_without_an_instance() -> None:
    """No FLUX_URI: each command fails to connect to the default /run/flux/local as flux-core's does."""
    if os.path.exists("/run/flux/local"):
        pytest.skip("a system instance runs on this machine")
    for args, err in NO_BROKER:
        got = flux(None, *args)
        assert (args, got.returncode, got.stdout, got.stderr) == (args, 1, "", err)
    version = flux(None, "version")
    assert (
        version.stdout == "commands:    \t\t0.88.0-59-g4a5e79f56\nlibflux-core:\t\t0.88.0-59-g4a5e79f56\n"
        "build-options:\t\t+fakeflux\n"
    )


def test_kvs_values_links_roots(flux_instance: Any) -> None:
    """As recorded from flux-core (hashes and the start-up entries' timestamps differ)."""
    uri = flux_instance.uri(0)
    assert flux(uri, "kvs", "namespace", "list").stdout == (
        "NAMESPACE                                 OWNER      FLAGS\n"
        f"primary                              {os.getuid():>10} 0x00000000\n"
    )
    assert flux(uri, "kvs", "put", "a=1").returncode == 0
    assert flux(uri, "kvs", "get", "--treeobj", "a").stdout == '{"data":"MQ==","type":"val","ver":1}\n'
    assert flux(uri, "kvs", "put", "--raw", "r=xyz").returncode == 0
    assert flux(uri, "kvs", "get", "--raw", "r").stdout == "xyz"
    assert flux(uri, "kvs", "get", "r").stdout == "xyz\n"
    assert flux(uri, "kvs", "put", "e=").returncode == 0
    assert (flux(uri, "kvs", "get", "e").stdout, flux(uri, "kvs", "get", "e").returncode) == ("", 0)
    assert flux(uri, "kvs", "link", "a", "lnk").returncode == 0
    assert flux(uri, "kvs", "readlink", "lnk").stdout == "a\n"
    assert flux(uri, "kvs", "get", "lnk").stdout == "1\n"
    columns = "a           admin.      e           lnk@        r           resource.\n"
    assert flux(uri, "kvs", "ls", "-F").stdout == columns
    assert flux(uri, "kvs", "ls", "-1", "-d", "a", "lnk").stdout == "a\nlnk\n"
    # values are cut at 80 characters, so where depends on the timestamps' digits
    listing = flux(uri, "kvs", "dir", "-R", ".").stdout.splitlines()
    expected = [
        r"a = 1",
        r'admin\.eventlog = \{"timestamp":\d+\.\d+,"name":"start","context":\{"v?e?\.\.\.',
        r"e = ",
        r"lnk -> a",
        r"r = xyz",
        r'resource\.R = \{"version":1,"execution":\{"R_lite":\[\{"rank":"0-3","children":\{"c\.\.\.',
        r'resource\.eventlog = \{"timestamp":\d+\.\d+,"name":"resource-define?"?,?"?\.\.\.',
    ]
    assert len(listing) == len(expected) and all(re.fullmatch(p, line) for p, line in zip(expected, listing)), listing
    assert flux(uri, "kvs", "put", "-s", "b=1").stdout.strip().isdigit()
    assert flux(uri, "kvs", "put", "-O", "c=1").stdout.startswith('{"data":["sha1-')
    assert flux(uri, "kvs", "getroot", "-o").stdout == f"{os.getuid()}\n"


def test_kvs_copy_move(flux_instance: Any) -> None:
    """As recorded from flux-core."""
    uri = flux_instance.uri(0)
    flux(uri, "kvs", "put", "a.b=1", "a.c=2")
    assert flux(uri, "kvs", "copy", "a", "z").returncode == 0
    assert flux(uri, "kvs", "dir", "z").stdout == "z.b = 1\nz.c = 2\n"
    assert flux(uri, "kvs", "move", "z", "y").returncode == 0
    gone = flux(uri, "kvs", "get", "z.b")
    assert (gone.returncode, gone.stderr) == (1, "flux-kvs: z.b: No such file or directory\n")
    assert flux(uri, "kvs", "get", "y.c").stdout == "2\n"
    missing = flux(uri, "kvs", "copy", "nosuch", "q")
    assert (missing.returncode, missing.stderr) == (1, "flux-kvs: flux_kvs_copy: No such file or directory\n")
    one = flux(uri, "kvs", "copy", "a")
    assert (one.returncode, one.stderr) == (1, "flux-kvs: copy: specify srckey dstkey\n")
