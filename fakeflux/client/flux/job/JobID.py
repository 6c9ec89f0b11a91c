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


def _encoded(encoding: str) -> Any:
    """A read-only property of JobID: the id in one encoding."""
    return property(lambda self: id_encode(self, encoding), doc=f"This id in the {encoding} encoding.")


class JobID(int):
    """A job id: ``int`` subclass built from an int or any FLUID string.

    Strings may be decimal, ``0x`` hex, dothex, ``job.``+dothex (kvs), f58
    (prefix ``ƒ`` or ``f``), words or emoji; anything else raises ValueError.
    ``str()`` is the f58 form, ``repr()`` ``JobID(<decimal>)``.
    """

    orig_str: str

    def __new__(cls, value: Any) -> JobID:
        # a JobID is rebuilt from the text it was made from, so ``orig`` carries over
        source = value.orig_str if isinstance(value, JobID) else value
        number = source if isinstance(source, int) else _parse_for_jobid(source)
        instance = super().__new__(cls, number)
        instance.orig_str = str(source)
        return instance

    def encode(self, encoding: str = "dec") -> str:
        """This id in another encoding (see :func:`id_encode`)."""
        return id_encode(int(self), encoding)

    # one property per encoding; ``hex`` shadows int.hex, as in flux-core
    dec = _encoded("dec")
    f58 = _encoded("f58")
    f58plain = _encoded("f58plain")
    hex = _encoded("hex")
    dothex = _encoded("dothex")
    words = _encoded("words")
    emoji = _encoded("emoji")
    kvs = _encoded("kvs")

    @property
    def orig(self) -> str:
        """The value this JobID was made from, as a string."""
        return self.orig_str

    def __str__(self) -> str:
        return id_encode(int(self), "f58")

    def __repr__(self) -> str:
        decimal = id_encode(int(self), "dec")
        return f"JobID({decimal})"


def _parse_for_jobid(text: Any) -> int:
    """``id_parse`` with the ValueError JobID raises for anything not a job id."""
    try:
        return id_parse(text)
    except OSError:
        raise ValueError(f"{text} is not a valid Flux jobid") from None
