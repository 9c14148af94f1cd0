#!/usr/bin/env python3
# Answers the handshake with a name of argv[1] characters (default 50,000,000), then behaves like an empty stack.
import sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000_000
sys.stdin.readline(); print('{"op":"hello","version":1,"name":"%s","features":[]}' % ('n' * n), flush=True)
for line in sys.stdin:
    if '"host"' in line: print('{"ok":true}', flush=True)
    elif '"bye"' in line: break
    else: print('{"id":%s,"unsupported":"nothing"}' % line.split('"id":', 1)[1].split(',', 1)[0].split('}', 1)[0], flush=True)
