#!/usr/bin/env bash
# The installed wheel works on its own: run from WORK (a temp folder outside the checkout that holds
# venv/ with the wheel installed and strict-valid.xml), UBLBATCH_UBL_DIR unset.
#   wheel_offline.sh WORK MODE [HIDE]
# MODE "offline": assert that no network is reachable (run it under `unshare -rn`);
# "online": say that the network was not cut. HIDE: a folder to cover with an empty tmpfs first
# (the real ../shared; needs a private mount namespace, `unshare -rnm`), proving nothing reads it.
set -euo pipefail
work=$1 mode=$2 hide=${3:-}
unset UBLBATCH_UBL_DIR
cd "$work"

if [ -n "$hide" ]; then
  mount -t tmpfs none "$hide"
  if [ -n "$(ls -A "$hide")" ]; then echo "FAIL: $hide is still visible" >&2; exit 1; fi
  echo "hidden: $hide (empty here)"
fi

venv/bin/python - "$mode" <<'PY'
import socket
import sys

try:
    socket.create_connection(("1.1.1.1", 443), timeout=3).close()
    reachable = "yes"
except OSError as exc:
    reachable = f"no ({exc.strerror or exc})"
print(f"network reachable: {reachable}")
if sys.argv[1] == "offline" and reachable == "yes":
    sys.exit("FAIL: the network is reachable, so this is no offline proof")
PY

venv/bin/ublbatch schemas verify
venv/bin/ublbatch schemas verify --format json > verify.json
venv/bin/python - <<'PY'
import json

report = json.load(open("verify.json", encoding="utf-8"))
assert report["usable"], report
assert report["found_by"] == "bundled with the package", report
assert "/site-packages/ublbatch/_data/" in report["location"], report
print("schemas: bundled with the wheel, verified")
PY
venv/bin/ublbatch validate strict-valid.xml
