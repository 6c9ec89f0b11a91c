"""The plugin seen from the outside: an inner pytest run with its options."""

from __future__ import annotations

from pathlib import Path

import pytest

FAILING = """
def test_talks_then_fails(flux_handle):
    flux_handle.rpc("broker.ping", {"probe": "visible-in-trace"}).get()
    assert False, "deliberate"

def test_passes(flux_instance):
    assert flux_instance.size >= 1
"""


def test_failed_test_shows_the_message_trace(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FAILING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*fakeflux trace: instance 0 (size 4)*",
            "*-> request broker.ping*visible-in-trace*",
            "*<- response broker.ping*",
        ]
    )


def test_trace_dir_gets_one_file_per_failed_test(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(FAILING)
    traces = tmp_path / "traces"
    result = pytester.runpytest_subprocess("--flux-trace-dir", str(traces))
    result.assert_outcomes(passed=1, failed=1)
    files = sorted(p.name for p in traces.iterdir())
    assert len(files) == 2 and all("test_talks_then_fails" in name for name in files)
    assert [name.rsplit(".", 1)[1] for name in files] == ["html", "txt"]
    assert "visible-in-trace" in (traces / files[1]).read_text()


def test_size_option_and_ini_key(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(
        """
        def test_size(flux_instance):
            import os
            assert flux_instance.size == int(os.environ["EXPECT"])
        """
    )
    pytester.makeini("[pytest]\nflux_size = 6\n")
    monkeypatch.setenv("EXPECT", "6")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)
    monkeypatch.setenv("EXPECT", "2")
    pytester.runpytest_subprocess("--flux-size", "2").assert_outcomes(passed=1)


def test_bad_settings_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(flux_instance): pass")
    pytester.makeini("[pytest]\nflux_size = many\n")
    result = pytester.runpytest_subprocess()
    result.stderr.fnmatch_lines(["*flux_size: 'many' is not an integer*"])
    assert result.ret != 0


def test_marker_with_positional_arguments_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.flux_instance(8)
        def test_x(flux_instance):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*flux_instance takes keyword arguments only*"])


def test_parallel_workers_never_share_an_instance(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, pytest

        @pytest.mark.parametrize("n", range(8))
        def test_own_instance(flux_instance, n):
            mark = os.path.join(flux_instance.rundir, "mine")
            assert not os.path.exists(mark)
            open(mark, "w").close()
            assert os.environ["FLUX_URI"] == flux_instance.uri(0)
        """
    )
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=8)


def test_failure_report_shows_only_the_end_of_a_long_trace(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(
        """
        def test_chatty(flux_handle):
            for i in range(100):
                flux_handle.rpc("broker.ping", {"i": i}).get()
            assert False
        """
    )
    traces = tmp_path / "t"
    result = pytester.runpytest_subprocess("--flux-trace-dir", str(traces))
    result.stdout.fnmatch_lines(["*(140 earlier messages not shown)*", '*"i": 99*'])
    page = next(traces.glob("*.html")).read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert page.count('fill="#1f5fa8">request broker.ping') == 100 and "rank 0" in page
    assert len((next(traces.glob("*.txt"))).read_text().splitlines()) == 200


def test_leaked_socket_file_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, socket

        def test_leaves_a_socket(flux_instance):
            stray = socket.socket(socket.AF_UNIX)
            stray.bind(os.path.join(flux_instance.rundir, "local-99"))
            stray.close()
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fakeflux instance leaked:*", "*socket file */local-99 was left behind*"])
