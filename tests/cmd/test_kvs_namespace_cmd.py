"""``flux kvs namespace create/remove/list`` and ``flux kvs wait`` as
flux-core's flux-kvs prints them, recorded on flux-core v0.88 (``flux start
--test-size=2``) for the same commands.  (The order ``namespace list`` prints
in is the KVS module's hash order there; only the set of lines is compared.)"""

from __future__ import annotations

import subprocess
from typing import Any

from .fluxrun import FLUX, flux, flux_env

NS_USAGE = (
    "Usage: flux-kvs namespace create [-o owner] [-r rootref] name [name...]\n"
    "   or: flux-kvs namespace remove name [name...]\n"
    "   or: flux-kvs namespace list \n"
    "Perform KVS namespace operations\n"
    "  -h, --help             Display this message.\n"
)

CASES = [
    (["namespace", "create", "-o", "abc", "ns4"], 1, "flux-kvs: --owner requires an unsigned integer argument\n"),
    (["namespace", "create", "ns1"], 1, "flux-kvs: ns1: File exists\n"),
    (["namespace", "remove", "nosuch"], 0, ""),
    (["namespace", "remove", "primary"], 1, "flux-kvs: primary: Operation not supported\n"),
    (
        ["namespace", "create"],
        1,
        "Usage: flux-kvs namespace create [-o owner] [-r rootref] name [name...]\n"
        "Create a KVS namespace\n"
        "  -h, --help             Display this message.\n"
        "  -o, --owner            Specify alternate namespace owner via userid\n"
        "  -r, --rootref          Initialize namespace with specific root reference\n",
    ),
    (
        ["namespace", "remove"],
        1,
        "Usage: flux-kvs namespace remove name [name...]\nRemove a KVS namespace\n"
        "  -h, --help             Display this message.\n",
    ),
    (["namespace"], 1, "flux-kvs namespace: missing subcommand\n" + NS_USAGE),
    (["namespace", "bogus"], 1, "flux-kvs namespace: Unknown subcommand: bogus\n" + NS_USAGE),
    (
        ["wait"],
        1,
        "Usage: flux-kvs wait [-N ns] version\nBlock until the KVS reaches version\n"
        "  -h, --help             Display this message.\n"
        "  -N, --namespace        Specify KVS namespace to use.\n",
    ),
    (["wait", "1", "2"], 1, "flux-kvs: wait: specify a version\n"),
    (["wait", "-N", "nosuch", "1"], 1, "flux-kvs: flux_kvs_wait_version: Operation not supported\n"),
]


def test_namespace_create_use_remove(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    assert flux(uri, "kvs", "namespace", "create", "ns1", "ns2").returncode == 0
    assert flux(uri, "kvs", "namespace", "create", "-o", "1234", "ns3").returncode == 0
    for args, status, err in CASES:
        result = flux(uri, "kvs", *args)
        assert (result.returncode, result.stdout, result.stderr) == (status, "", err), args
    listed = flux(uri, "kvs", "namespace", "list").stdout.splitlines()
    assert listed[0] == "NAMESPACE                                 OWNER      FLAGS"
    assert sorted(listed[1:]) == [
        "ns1                                           0 0x00000000",
        "ns2                                           0 0x00000000",
        "ns3                                        1234 0x00000000",
        "primary                                       0 0x00000000",
    ]
    assert flux(uri, "kvs", "put", "-N", "ns1", "a=1").returncode == 0
    root = flux(uri, "kvs", "getroot", "-N", "ns1", "-b").stdout.strip()
    assert flux(uri, "kvs", "namespace", "create", "-r", root, "ns5").returncode == 0
    assert flux(uri, "kvs", "get", "-N", "ns5", "a").stdout == "1\n"
    assert flux(uri, "kvs", "namespace", "remove", "ns1", "ns2", "ns3", "ns5").returncode == 0
    assert flux(uri, "kvs", "namespace", "list").stdout == (
        "NAMESPACE                                 OWNER      FLAGS\n"
        "primary                                       0 0x00000000\n"
    )


def test_kvs_wait(flux_instance: Any) -> None:
    uri = flux_instance.uri(0)
    version = int(flux(uri, "kvs", "version").stdout)
    assert flux(uri, "kvs", "wait", str(version)).returncode == 0
    waiter = subprocess.Popen([FLUX, "kvs", "wait", str(version + 1)], env=flux_env(uri),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        try:
            waiter.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            pass
        assert waiter.returncode is None  # still waiting for the next version
        assert flux(uri, "kvs", "put", "x=1").returncode == 0
        out, err = waiter.communicate(timeout=30)
        assert (waiter.returncode, out, err) == (0, "", "")
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.communicate()
