import sys, os
def entry(name, data, mode):
    name_b = name.encode() + b'\0'
    hdr = b'070701' + b''.join(b'%08X' % v for v in [0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0])
    out = hdr + name_b
    out += b'\0' * ((4 - len(out) % 4) % 4)
    out += data
    out += b'\0' * ((4 - len(out) % 4) % 4)
    return out
blob = entry('init', open(sys.argv[1], 'rb').read(), 0o100755) + entry('TRAILER!!!', b'', 0)
open(sys.argv[2], 'wb').write(blob)
