#!/usr/bin/env python3
# Answers the handshake and the host, then every operation with N tiny packets on one line (argv[1], default 1,000,000: a 69 MB line).
import sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
out = sys.stdout
for line in sys.stdin:
    if '"hello"' in line:
        out.write('{"op":"hello","version":1,"name":"flood","features":[]}\n')
    elif '"host"' in line:
        out.write('{"ok":true}\n')
    elif '"bye"' in line:
        break
    else:
        rid = line.split('"id":', 1)[1].split(',', 1)[0].split('}', 1)[0]
        packet = '{"link":"tun0","hex":"45000014"}'
        out.write('{"id":%s,"ret":3,"packets":[' % rid + ','.join([packet] * n) + ']}\n')
    out.flush()
