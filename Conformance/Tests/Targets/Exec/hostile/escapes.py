#!/usr/bin/env python3
# Sends terminal escapes, NULs and Spectre markup everywhere: the name, a feature, stderr, an unsupported note and an errno.
import sys
evil = '\\u001b[2J\\u001b]0;pwned\\u0007\\u0000\\u009b[red]x[/]\\u202e'
sys.stdin.readline(); print('{"op":"hello","version":1,"name":"evil %s","features":["counters","f%s"]}' % (evil, evil), flush=True)
sys.stderr.write('stderr \x1b[2J\x1b]0;pwned\x07 \x00 done\n'); sys.stderr.flush()
n = 0
for line in sys.stdin:
    if '"host"' in line: print('{"ok":true}', flush=True); continue
    if '"bye"' in line: break
    n += 1
    rid = line.split('"id":', 1)[1].split(',', 1)[0].split('}', 1)[0]
    if n == 1: print('{"id":%s,"unsupported":"note %s"}' % (rid, evil), flush=True)
    else: print('{"id":%s,"errno":"E%s"}' % (rid, evil), flush=True)
