#!/bin/bash
# Ignores SIGTERM (and a closed stdin) and hangs after the host, with a child that ignores it too; marked in its command line.
trap '' TERM HUP INT
(trap '' TERM HUP INT; exec -a "sleep-stubborn-${UDPCONF_HOSTILE_MARKER:-hostile}" sleep 1000) &
read -r l; echo '{"op":"hello","version":1,"name":"stubborn","features":[]}'
read -r l; echo '{"ok":true}'
while :; do sleep 1; done
