#!/usr/bin/env python3
# Answers the handshake and the host, then every operation with one packet of argv[1] bytes (default 70,000: more than IPv4 allows).
import sys
size = int(sys.argv[1]) if len(sys.argv) > 1 else 70_000
for line in sys.stdin:
    if '"hello"' in line: print('{"op":"hello","version":1,"name":"big packet","features":[]}', flush=True)
    elif '"host"' in line: print('{"ok":true}', flush=True)
    elif '"bye"' in line: break
    else:
        rid = line.split('"id":', 1)[1].split(',', 1)[0].split('}', 1)[0]
        print('{"id":%s,"ret":3,"packets":[{"link":"tun0","hex":"%s"}]}' % (rid, '45' * size), flush=True)
