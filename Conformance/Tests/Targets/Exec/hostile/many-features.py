#!/usr/bin/env python3
# Answers the handshake with argv[1] features (default 100,000) of argv[2] characters each (default 10).
import sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
size = int(sys.argv[2]) if len(sys.argv) > 2 else 10
sys.stdin.readline()
print('{"op":"hello","version":1,"name":"many features","features":[%s]}' % ','.join('"%s"' % ('f%d' % i).ljust(size, 'f') for i in range(n)), flush=True)
sys.stdin.readline()
