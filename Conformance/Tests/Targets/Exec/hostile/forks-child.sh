#!/bin/bash
# Leaves a child running (marked with $UDPCONF_HOSTILE_MARKER in its command line), then execs the good implementation given as arguments.
(exec -a "sleep-child-${UDPCONF_HOSTILE_MARKER:-hostile}" sleep 1000) &
exec "$@"
