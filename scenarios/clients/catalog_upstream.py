"""Record recorded-catalog.yaml: a live fake instance with a catalog service
written in Python, and `fakeflux record` in front of it running catalog.py.

    python scenarios/clients/catalog_upstream.py scenarios/recorded-catalog.yaml
"""

import errno
import os
import subprocess
import sys

import fakeflux

PACKAGES = {"gcc": "13.2", "python": "3.12", "flux-core": "0.88"}


def main(out: str) -> int:
    with fakeflux.Instance(size=2) as inst:

        def catalog(req):
            method = req.topic.split(".", 1)[1]
            if method == "lookup":
                name = req.payload["name"]
                if name not in PACKAGES:
                    raise OSError(errno.ENOENT, "no such package")
                return {"name": name, "version": PACKAGES[name]}
            if method == "list":
                return ({"name": n, "version": v} for n, v in PACKAGES.items())
            if method == "refresh":
                inst.publish("catalog.updated", {"count": len(PACKAGES)})
                return {"refreshed": True}
            raise OSError(errno.ENOSYS, f"no method {method}")

        inst.add_service("catalog", catalog)
        here = os.path.dirname(os.path.abspath(__file__))
        cmd = [sys.executable, "-m", "fakeflux", "record", "--upstream", inst.uri(0), "--out", out]
        cmd += ["--python-client", "compat", "--", sys.executable, os.path.join(here, "catalog.py")]
        return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
