"""Client of guest-refused.yaml: connecting as a guest fails with EPERM."""

import errno
import json

import flux

try:
    flux.Flux()
    print(json.dumps({"connected": True}))
except OSError as exc:
    print(json.dumps({"connected": False, "error": errno.errorcode[exc.errno]}))
