"""Job ids (flux-core's ``flux.job.JobID``): an ``int`` that parses and prints every RFC 19 form."""

from __future__ import annotations

from typing import Any, Union

from . import _fluid

__all__ = ["id_parse", "id_encode", "JobID"]


def _c_error(err: OSError) -> OSError:
    """The OSError of a failed libflux call, as the cffi wrapper words it."""
    from .._errors import c_error

    return c_error(err.errno or 0)


def id_parse(jobid_str: Any) -> int:
    """Parse any FLUID string form into an int; OSError(EINVAL) when it is not one."""
    if isinstance(jobid_str, bytes):
        jobid_str = jobid_str.decode("utf-8", "surrogateescape")
    if not isinstance(jobid_str, str):
        raise TypeError(f"initializer for ctype 'char *' must be a str or bytes, not {type(jobid_str).__name__}")
    try:
        return _fluid.parse(jobid_str.split("\x00", 1)[0])
    except OSError as err:
        raise _c_error(err) from None


def id_encode(jobid: Union[int, str], encoding: str = "f58") -> str:
    """Encode an int job id as dec, hex, dothex, kvs, words, f58, f58plain or emoji.

    An unknown encoding raises OSError(EPROTO), as ``flux_job_id_encode``.
    """
    try:
        return _fluid.encode(int(jobid), encoding)
    except OSError as err:
        raise _c_error(err) from None


class JobID(int):
    """A job id: ``int`` subclass built from an int or any FLUID string.

    Strings may be decimal, ``0x`` hex, dothex, ``job.``+dothex (kvs), f58
    (prefix ``ƒ`` or ``f``), words or emoji; anything else raises ValueError.
    ``str()`` is the f58 form, ``repr()`` ``JobID(<decimal>)``.
    """

    orig_str: str

    def __new__(cls, value: Any) -> JobID:
        if isinstance(value, JobID):
            return cls(value.orig_str)
        if isinstance(value, int):
            jobid = value
        else:
            try:
                jobid = id_parse(value)
            except OSError:
                raise ValueError(f"{value} is not a valid Flux jobid") from None
        self = super().__new__(cls, jobid)
        self.orig_str = str(value)
        return self

    def encode(self, encoding: str = "dec") -> str:
        """This id in another encoding (see :func:`id_encode`)."""
        return id_encode(self, encoding)

    @property
    def dec(self) -> str:
        return self.encode()

    @property
    def f58(self) -> str:
        return self.encode("f58")

    @property
    def f58plain(self) -> str:
        return self.encode("f58plain")

    @property
    def hex(self) -> str:  # flux-core's name shadows int.hex
        return self.encode("hex")

    @property
    def dothex(self) -> str:
        return self.encode("dothex")

    @property
    def words(self) -> str:
        return self.encode("words")

    @property
    def emoji(self) -> str:
        return self.encode("emoji")

    @property
    def kvs(self) -> str:
        return self.encode("kvs")

    @property
    def orig(self) -> str:
        """The value this JobID was made from, as a string."""
        return self.orig_str

    def __str__(self) -> str:
        return self.encode("f58")

    def __repr__(self) -> str:
        return f"JobID({self.dec})"
