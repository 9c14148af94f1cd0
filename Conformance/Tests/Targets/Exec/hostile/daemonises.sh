#!/bin/bash
# Starts a daemon in a session of its own (setsid, out of the process group), marked in its command line, then execs the good implementation given as arguments.
setsid bash -c 'exec -a "sleep-daemon-${UDPCONF_HOSTILE_MARKER:-hostile}" sleep 1000' </dev/null >/dev/null 2>&1 &
exec "$@"
