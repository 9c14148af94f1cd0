#!/bin/sh
# Answers the first handshake only (a state file in $1 remembers it); every later process never answers, as a wedged stack would.
if [ -e "$1" ]; then exec sleep 1000; fi
: > "$1"
read -r l; echo '{"op":"hello","version":1,"name":"silent","features":[]}'
read -r l
