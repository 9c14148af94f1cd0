#!/usr/bin/env python3
# Answers the handshake and the host, then the first operation with one line of argv[1] MB (default 100) that never ends in time.
import sys
mb = float(sys.argv[1]) if len(sys.argv) > 1 else 100
sys.stdin.readline(); print('{"op":"hello","version":1,"name":"long line","features":[]}', flush=True)
sys.stdin.readline(); print('{"ok":true}', flush=True)
sys.stdin.readline()
chunk = 'x' * (1 << 20)
try:
    for _ in range(int(mb)): sys.stdout.write(chunk)
    sys.stdout.write('\n'); sys.stdout.flush()
except BrokenPipeError:
    pass
sys.stdin.readline()
