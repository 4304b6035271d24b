#!/bin/bash
# What one WriteClient call costs an extension that writes a byte at a time (S5), and
# how much of it is the host's. Builds tinywrites.dll as a shared object
# (bench/extensions/tinywrites.c through bench/writeclient-calls/loop.c, gcc -O2, as
# run.py builds the bench extensions) and a program linking isapid's own fast path
# (Sources/CISAPI/writebuffer.c, with clang as SwiftPM builds it), then times the loop
# calling an empty function of the extension, an empty function of the host, and
# isapi_write_client. No sockets and no server: the loop and the call alone, on CPU 0
# when taskset is there.
#
#   bench/writeclient-calls.sh [rounds] [responses per round]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
include="$root/Sources/CISAPI/include"
cc=$(command -v clang || command -v cc)
gcc -O2 -shared -fPIC -I "$include" -I "$here/extensions" "$here/writeclient-calls/loop.c" -o "$work/libloop.so"
"$cc" -O2 -I "$include" "$here/writeclient-calls/main.c" "$root/Sources/CISAPI/writebuffer.c" \
    -L "$work" -lloop -Wl,-rpath,"$work" -o "$work/writeclient-calls"
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
"${pin[@]}" "$work/writeclient-calls" "$@"
