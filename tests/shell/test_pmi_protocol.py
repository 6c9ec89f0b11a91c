"""The PMI-1 server's protocol, request by request.

Expected answers are what flux-core's job shell (0.88) answered to the same
requests (recorded with tests/shell/pmi_client.py under ``flux run -N2 -n4``,
see data/real_flux_basic.txt, and with ``-o verbose=2`` traces of mpi4py on
MPICH 5.0.2).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakeflux.shell import (
    PmiAbort,
    PmiBarrierStranded,
    PmiFinalized,
    PmiProtocolError,
    PmiServer,
    PmiSetupError,
    PmiSimpleOptions,
    PmiWarning,
    TaskMap,
    pmi_environment,
    pmi_simple_options,
    simple_pmi_enabled,
)

KVS = "ƒWAasYT"


def one(server: PmiServer, rank: int, line: str) -> str:
    """Send one request, expect exactly one answer, to the sender."""
    replies = server.receive(rank, line.encode() + b"\n")
    assert [to for to, _ in replies] == [rank], replies
    return replies[0][1].decode()


def init_all(server: PmiServer) -> None:
    for rank in range(server.size):
        assert "rc=0" in one(server, rank, "cmd=init pmi_version=1 pmi_subversion=1")


def test_simple_queries() -> None:
    server = PmiServer(4, KVS, appnum=0)
    assert one(server, 0, "cmd=init pmi_version=1 pmi_subversion=1") == (
        "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1\n"
    )
    assert one(server, 0, "cmd=get_maxes") == "cmd=maxes rc=0 kvsname_max=64 keylen_max=64 vallen_max=1024\n"
    assert one(server, 0, "cmd=get_appnum") == "cmd=appnum rc=0 appnum=0\n"
    assert one(server, 0, "cmd=get_universe_size") == "cmd=universe_size rc=0 size=4\n"
    assert one(server, 0, "cmd=get_my_kvsname") == f"cmd=my_kvsname rc=0 kvsname={KVS}\n"
    assert server.take_outcomes() == []


def test_init_versions() -> None:
    server = PmiServer(2, KVS)
    assert one(server, 1, "cmd=init pmi_version=1 pmi_subversion=0") == "cmd=response_to_init rc=-1\n"
    assert one(server, 1, "cmd=init pmi_version=0 pmi_subversion=9") == "cmd=response_to_init rc=-1\n"
    assert one(server, 1, "cmd=init pmi_version=3 pmi_subversion=0") == (
        "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1\n"
    )
    # version 2 is refused; on rank 0 the shell warns about Slurm's libpmi2
    assert one(server, 1, "cmd=init pmi_version=2 pmi_subversion=0") == "cmd=response_to_init rc=-1\n"
    assert server.take_outcomes() == []
    assert one(server, 0, "cmd=init pmi_version=2 pmi_subversion=0") == "cmd=response_to_init rc=-1\n"
    assert server.take_outcomes() == [PmiWarning(0, "is application unintentionally using slurm libpmi2.so?")]


def test_shell_keys_one_node() -> None:
    server = PmiServer(4, KVS)
    init_all(server)
    assert one(server, 3, f"cmd=get kvsname={KVS} key=PMI_process_mapping") == (
        "cmd=get_result rc=0 value=(vector,(0,1,4))\n"
    )
    assert one(server, 0, f"cmd=get kvsname={KVS} key=flux.taskmap") == (
        'cmd=get_result rc=0 value={"version":1,"map":[[0,1,4,1]]}\n'
    )
    assert one(server, 0, f"cmd=get kvsname={KVS} key=flux.instance-level") == "cmd=get_result rc=0 value=1\n"
    # unset attribute: no key
    assert one(server, 0, f"cmd=get kvsname={KVS} key=flux.tbon-interface-hint") == "cmd=get_result rc=4\n"
    # what MPICH 5 asks for and flux-core does not have
    assert one(server, 0, f"cmd=get kvsname={KVS} key=PMI_hwloc_xmlfile") == "cmd=get_result rc=4\n"


def test_shell_keys_two_nodes_as_real_flux() -> None:
    server = PmiServer(4, KVS, taskmap=TaskMap.block([2, 2]), instance_level="0", tbon_interface_hint="default-route")
    assert server.get(2, "PMI_process_mapping") == "(vector,(0,2,2))"
    assert server.get(2, "flux.taskmap") == '{"version":1,"map":[[0,2,2,1]]}'
    assert server.get(1, "flux.instance-level") == "1"
    assert server.get(0, "flux.tbon-interface-hint") == "default-route"
    assert PmiServer(1, KVS, instance_level="2").get(0, "flux.instance-level") == "3"
    nomap = PmiServer(2, KVS, nomap=True)
    assert nomap.get(0, "PMI_process_mapping") is None and nomap.get(0, "flux.taskmap") is None


def test_put_get_barrier_one_shell() -> None:
    server = PmiServer(3, KVS)
    init_all(server)
    assert one(server, 0, f"cmd=put kvsname={KVS} key=a value=with spaces=and equals") == "cmd=put_result rc=0\n"
    # one shell: visible to its tasks at once
    assert one(server, 2, f"cmd=get kvsname={KVS} key=a") == "cmd=get_result rc=0 value=with spaces=and equals\n"
    assert server.receive(0, b"cmd=barrier_in\n") == []
    assert server.receive(1, b"cmd=barrier_in\n") == []
    replies = server.receive(2, b"cmd=barrier_in\n")
    assert sorted(replies) == [(r, b"cmd=barrier_out rc=0\n") for r in range(3)]
    # a second barrier works the same
    assert server.receive(2, b"cmd=barrier_in\n") == []
    assert server.receive(0, b"cmd=barrier_in\n") == []
    assert sorted(server.receive(1, b"cmd=barrier_in\n")) == [(r, b"cmd=barrier_out rc=0\n") for r in range(3)]
    # a value put again replaces the old one
    one(server, 1, f"cmd=put kvsname={KVS} key=a value=b")
    assert one(server, 0, f"cmd=get kvsname={KVS} key=a") == "cmd=get_result rc=0 value=b\n"


def test_put_is_exchanged_between_shells_at_the_barrier() -> None:
    server = PmiServer(4, KVS, taskmap=TaskMap.block([2, 2]))
    init_all(server)
    one(server, 0, f"cmd=put kvsname={KVS} key=early value=1")
    one(server, 0, f"cmd=put kvsname={KVS} key=local::mine value=2")
    # same shell: seen; the other shell: not yet
    assert one(server, 1, f"cmd=get kvsname={KVS} key=early") == "cmd=get_result rc=0 value=1\n"
    assert one(server, 2, f"cmd=get kvsname={KVS} key=early") == "cmd=get_result rc=4\n"
    # shell 0 complete: it waits for shell 1
    assert server.receive(0, b"cmd=barrier_in\n") == []
    assert server.receive(1, b"cmd=barrier_in\n") == []
    assert server.receive(3, b"cmd=barrier_in\n") == []
    replies = server.receive(2, b"cmd=barrier_in\n")
    assert sorted(replies) == [(r, b"cmd=barrier_out rc=0\n") for r in range(4)]
    assert one(server, 3, f"cmd=get kvsname={KVS} key=early") == "cmd=get_result rc=0 value=1\n"
    # local:: keys stay on their shell
    assert one(server, 1, f"cmd=get kvsname={KVS} key=local::mine") == "cmd=get_result rc=0 value=2\n"
    assert one(server, 2, f"cmd=get kvsname={KVS} key=local::mine") == "cmd=get_result rc=4\n"


def test_barrier_answers_every_task_that_has_spoken() -> None:
    # flux-core counts entries, not tasks, and answers every client it knows
    server = PmiServer(2, KVS)
    one(server, 1, "cmd=get_maxes")
    assert server.receive(0, b"cmd=barrier_in\n") == []
    replies = sorted(server.receive(0, b"cmd=barrier_in\n"))
    assert replies == [(0, b"cmd=barrier_out rc=0\n"), (1, b"cmd=barrier_out rc=0\n")]


def test_limits_and_errors() -> None:
    server = PmiServer(1, KVS)
    init_all(server)
    assert one(server, 0, f"cmd=get kvsname={KVS} key=missing") == "cmd=get_result rc=4\n"
    assert one(server, 0, f"cmd=put kvsname={KVS} key={'k' * 64} value=v") == "cmd=put_result rc=5\n"
    assert one(server, 0, f"cmd=put kvsname={KVS} key={'k' * 63} value=v") == "cmd=put_result rc=0\n"
    assert one(server, 0, f"cmd=put kvsname={KVS} key=big value={'v' * 1024}") == "cmd=put_result rc=7\n"
    assert one(server, 0, f"cmd=put kvsname={KVS} key=big value={'v' * 1023}") == "cmd=put_result rc=0\n"
    assert one(server, 0, f"cmd=put kvsname={'n' * 64} key=big value=x") == "cmd=put_result rc=8\n"
    assert one(server, 0, f"cmd=get kvsname={'n' * 64} key=big") == "cmd=get_result rc=8\n"
    assert one(server, 0, f"cmd=get kvsname={KVS} key={'k' * 64}") == "cmd=get_result rc=5\n"
    assert one(server, 0, f"cmd=get kvsname={KVS} key=big") == f"cmd=get_result rc=0 value={'v' * 1023}\n"
    # the kvsname is not checked against the job's
    assert one(server, 0, "cmd=get kvsname=other key=big").startswith("cmd=get_result rc=0 value=vvv")
    # mpiexec.hydra's stray suffix is dropped from values
    one(server, 0, f"cmd=put kvsname={KVS} key=h value=x found=TRUE")
    assert one(server, 0, f"cmd=get kvsname={KVS} key=h") == "cmd=get_result rc=0 value=x\n"
    assert server.take_outcomes() == []
    assert not server.failed


def test_refused_commands() -> None:
    server = PmiServer(1, KVS)
    refused = "rc=-1 msg=command not implemented\n"
    assert one(server, 0, "cmd=publish_name service=s port=p") == "cmd=publish_result " + refused
    assert one(server, 0, "cmd=unpublish_name service=s") == "cmd=unpublish_result rc=-1 msg=command not implemented\n"
    assert one(server, 0, "cmd=lookup_name service=s") == "cmd=lookup_result rc=-1 msg=command not implemented\n"
    # spawn: every line up to endcmd is swallowed, then refused
    assert server.receive(0, b"mcmd=spawn\nnprocs=1\nexecname=/bin/true\ncmd=get_maxes\n") == []
    assert server.receive(0, b"endcmd\n") == [(0, b"cmd=spawn_result rc=-1\n")]
    assert one(server, 0, "cmd=get_appnum") == "cmd=appnum rc=0 appnum=0\n"


def test_commands_match_by_prefix_as_flux_core_parses_them() -> None:
    server = PmiServer(1, KVS)
    one(server, 0, f"cmd=put kvsname={KVS} key=early value=1")
    assert one(server, 0, "cmd=getxyz kvsname=x key=early") == "cmd=get_result rc=0 value=1\n"
    assert one(server, 0, "cmd=get_my_kvsname_please") == f"cmd=my_kvsname rc=0 kvsname={KVS}\n"
    # fields may come in any order, with extra white space
    assert one(server, 0, "  key=early\tcmd=get kvsname=x ") == "cmd=get_result rc=0 value=1\n"
    # strtoul: an empty number is 0, a leading space is skipped
    assert one(server, 0, "cmd=init pmi_version= pmi_subversion=1") == "cmd=response_to_init rc=-1\n"
    assert one(server, 0, "cmd=init pmi_version= 1 pmi_subversion=1").endswith("rc=0 pmi_version=1 pmi_subversion=1\n")


def test_split_and_joined_lines() -> None:
    server = PmiServer(1, KVS)
    assert server.receive(0, b"cmd=in") == []
    assert server.receive(0, b"it pmi_version=1 pmi_") == []
    assert server.receive(0, b"subversion=1\ncmd=get_app") == [
        (0, b"cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1\n")
    ]
    assert server.receive(0, b"num\ncmd=get_universe_size\n") == [
        (0, b"cmd=appnum rc=0 appnum=0\n"),
        (0, b"cmd=universe_size rc=0 size=1\n"),
    ]
    # byte by byte
    replies = []
    for byte in b"cmd=get_maxes\n":
        replies += server.receive(0, bytes([byte]))
    assert replies == [(0, b"cmd=maxes rc=0 kvsname_max=64 keylen_max=64 vallen_max=1024\n")]


def test_protocol_error_kills_the_shell() -> None:
    server = PmiServer(2, KVS)
    init_all(server)
    assert server.receive(1, b"cmd=frobnicate\ncmd=get_maxes\n") == []
    assert server.take_outcomes() == [PmiProtocolError(1, b"cmd=frobnicate\n")]
    assert server.failed
    assert PmiProtocolError(1, b"").note == "PMI-1 wire protocol error"
    # the shell is gone: nothing more is answered or reported
    assert server.receive(0, b"cmd=get_maxes\n") == []
    server.receive(0, b"cmd=barrier_in\n")
    server.task_exited(1)
    assert server.take_outcomes() == []


@pytest.mark.parametrize(
    "line",
    [
        b"\n",
        b"hello\n",
        b"cmd=init\n",
        b"cmd=init pmi_version=x pmi_subversion=1\n",
        b"cmd=init pmi_version=-1 pmi_subversion=1\n",
        b"cmd=init pmi_version=4294967296 pmi_subversion=1\n",
        b"cmd=put key=a value=b\n",
        b"cmd=put kvsname=k value=b\n",
        b"cmd=put kvsname=k key=a\n",
        b"cmd=get kvsname=k\n",
        b"\0cmd=get_maxes\n",
        b"\xff\xfe\n",
    ],
)
def test_malformed_requests_are_protocol_errors(line: bytes) -> None:
    server = PmiServer(1, KVS)
    assert server.receive(0, line) == []
    assert server.take_outcomes() == [PmiProtocolError(0, line.split(b"\0")[0])]


def test_abort() -> None:
    server = PmiServer(2, KVS)
    init_all(server)
    assert server.receive(1, b"cmd=abort exitcode=7 error_msg=rank 1 gives up\n") == []
    assert server.take_outcomes() == [PmiAbort(1, 7, "rank 1 gives up")]
    assert PmiAbort(1, 7, "rank 1 gives up").note == "PMI_Abort: rank 1 gives up"
    # the shell keeps serving; later garbage does not turn into a shell failure
    assert server.receive(0, b"garbage\n") == []
    assert one(server, 0, "cmd=get_maxes").startswith("cmd=maxes rc=0")
    assert not server.failed
    # only the first abort raises an exception
    server.receive(0, b"cmd=abort\n")
    assert server.take_outcomes() == []
    fresh = PmiServer(1, KVS)
    fresh.receive(0, b"cmd=abort\n")
    assert fresh.take_outcomes() == [PmiAbort(0, 1, "aborted")]


def test_finalize() -> None:
    server = PmiServer(1, KVS)
    assert one(server, 0, "cmd=finalize") == "cmd=finalize_ack rc=0\n"
    assert server.take_outcomes() == [PmiFinalized(0)]


def test_task_exiting_strands_a_barrier() -> None:
    server = PmiServer(4, KVS, taskmap=TaskMap.block([2, 2]))
    init_all(server)
    server.receive(0, b"cmd=barrier_in\n")
    server.receive(2, b"cmd=barrier_in\n")
    server.receive(3, b"cmd=barrier_in\n")
    assert server.take_outcomes() == []
    server.receive(1, b"cmd=put kvsname=k key=x val")  # a line cut by the exit
    server.task_exited(1)
    assert server.take_outcomes() == [PmiBarrierStranded(waiting=(0, 2, 3), missing=(1,))]
    # once per barrier
    server.task_exited(3)
    assert server.take_outcomes() == []


def test_task_exiting_before_others_enter_strands_their_barrier() -> None:
    server = PmiServer(3, KVS)
    init_all(server)
    server.task_exited(2)
    assert server.take_outcomes() == []  # nobody waits yet
    server.receive(0, b"cmd=barrier_in\n")
    assert server.take_outcomes() == [PmiBarrierStranded(waiting=(0,), missing=(2,))]


def test_finalized_tasks_exiting_strand_nothing() -> None:
    server = PmiServer(2, KVS)
    init_all(server)
    server.receive(0, b"cmd=barrier_in\n")
    assert server.receive(1, b"cmd=barrier_in\n") != []
    for rank in (0, 1):
        one(server, rank, "cmd=finalize")
        server.task_exited(rank)
    assert server.take_outcomes() == [PmiFinalized(0), PmiFinalized(1)]


def test_long_line_without_newline_is_taken_when_the_buffer_is_full() -> None:
    server = PmiServer(1, KVS)
    assert server.receive(0, b"cmd=get_maxes " + b"x" * (4 * 1024 * 1024)) == [
        (0, b"cmd=maxes rc=0 kvsname_max=64 keylen_max=64 vallen_max=1024\n")
    ]


def test_setup_errors() -> None:
    with pytest.raises(ValueError, match="task rank must be 0..1"):
        PmiServer(2, KVS).receive(2, b"cmd=get_maxes\n")
    with pytest.raises(ValueError, match="size must be a positive integer"):
        PmiServer(0, KVS)
    with pytest.raises(ValueError, match="kvsname must be"):
        PmiServer(1, "has space")
    with pytest.raises(ValueError, match="kvsname must be"):
        PmiServer(1, "x" * 64)
    with pytest.raises(ValueError, match="taskmap places 4 tasks, the job has 3"):
        PmiServer(3, KVS, taskmap=TaskMap.block([2, 2]))
    with pytest.raises(ValueError, match="taskmap leaves node 1 without tasks"):
        PmiServer(2, KVS, taskmap=TaskMap.from_task_nodes([0, 2]))
    with pytest.raises(PmiSetupError, match="set_flux_instance_level level=-1 invalid"):
        PmiServer(1, KVS, instance_level="-1")
    # -o pmi=LIST, as the shell reads it
    assert simple_pmi_enabled(None)
    assert simple_pmi_enabled("pmix,simple") and simple_pmi_enabled("pmi1") and simple_pmi_enabled("pmi2")
    assert not simple_pmi_enabled("none") and not simple_pmi_enabled("off")
    with pytest.raises(PmiSetupError, match="^pmi shell option must be a string$"):
        simple_pmi_enabled(5)


def test_oversized_mapping_is_left_out_with_a_warning() -> None:
    # 700 nodes of alternating task counts: no merging, a long mapping
    taskmap = TaskMap.block([1 + i % 2 for i in range(700)])
    assert len(taskmap.encode_pmi()) > 1024
    with pytest.raises(PmiSetupError, match="flux.taskmap"):
        PmiServer(taskmap.ntasks, KVS, taskmap=taskmap)
    server = PmiServer(taskmap.ntasks, KVS, taskmap=taskmap, nomap=True)
    assert server.take_outcomes() == []
    tm = TaskMap.from_task_nodes([i % 2 for i in range(300)])  # cyclic: the mapping repeats, the map does not
    assert tm.blocks() == [[0, 2, 1, 150]]
    assert len(tm.encode_pmi()) > 1024 >= len(tm.encode())
    server = PmiServer(tm.ntasks, KVS, taskmap=tm)
    assert server.get(0, "PMI_process_mapping") is None
    assert server.take_outcomes() == [PmiWarning(None, "PMI_process_mapping overflows PMI max value.")]


def test_environment() -> None:
    assert pmi_environment(2, 4, 18) == {"PMI_FD": "18", "PMI_RANK": "2", "PMI_SIZE": "4"}


def test_pmi_simple_option_as_the_shell_reads_it() -> None:
    # texts recorded from real `flux run -o pmi-simple...` (flux-core 0.88)
    assert pmi_simple_options(None, 1) == PmiSimpleOptions()
    assert pmi_simple_options({"nomap": 1}, 1).nomap
    assert pmi_simple_options({"exchange": {"k": 1}}, 2) == PmiSimpleOptions(exchange_k=1, warnings=("using k=1",))
    assert pmi_simple_options({"exchange": {"k": 5}}, 2).warnings == ("requested exchange fanout too large, using k=2",)
    for config, error in [
        ({"kvs": "foo"}, "Unknown kvs implementation foo"),
        ({"bogus": 1}, "option error: 1 object item(s) left unpacked: bogus"),
        ({"nomap": "yes"}, "option error: Expected integer, got string"),
        (3, "option error: Expected object, got integer"),
    ]:
        with pytest.raises(PmiSetupError) as exc:
            pmi_simple_options(config, 1)
        assert str(exc.value) == error


_WORDS = st.sampled_from(
    [
        b"cmd=",
        b"init",
        b"get",
        b"put",
        b"barrier_in",
        b"abort",
        b"finalize",
        b"mcmd=spawn",
        b"endcmd",
        b"key=",
        b"value=",
        b"kvsname=",
        b"pmi_version=",
        b"pmi_subversion=",
        b"1",
        b"-1",
        b" ",
        b"\n",
        b"\0",
        b"\xff",
        b"=",
    ]
)


@given(st.lists(st.tuples(st.integers(0, 2), st.lists(_WORDS | st.binary(max_size=8), max_size=12)), max_size=30))
def test_any_input_gets_answers_or_outcomes_never_an_exception(chunks: list[tuple[int, list[bytes]]]) -> None:
    server = PmiServer(3, KVS, taskmap=TaskMap.block([2, 1]))
    for rank, words in chunks:
        for to, reply in server.receive(rank, b"".join(words)):
            assert 0 <= to < 3 and reply.startswith(b"cmd=") and reply.endswith(b"\n")
        if rank == 2 and len(words) % 5 == 0:
            server.task_exited(rank)
    for outcome in server.take_outcomes():
        assert isinstance(outcome, (PmiAbort, PmiProtocolError, PmiWarning, PmiFinalized, PmiBarrierStranded))
