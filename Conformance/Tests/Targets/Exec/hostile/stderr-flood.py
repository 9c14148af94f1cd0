#!/usr/bin/env python3
# Answers the handshake and the host, then writes one stderr line of argv[1] MB (default 100) with terminal escapes, and exits 1.
import sys
mb = float(sys.argv[1]) if len(sys.argv) > 1 else 100
sys.stdin.readline(); print('{"op":"hello","version":1,"name":"stderr flood","features":[]}', flush=True)
sys.stdin.readline(); print('{"ok":true}', flush=True)
sys.stdin.readline()
sys.stderr.write('\x1b[2J\x1b]0;pwned\x07')
chunk = 'e' * (1 << 20)
for _ in range(int(mb)): sys.stderr.write(chunk)
sys.stderr.write('\x1b[31mthe end of a very long line\x00\n'); sys.stderr.flush()
sys.exit(1)
