#!/usr/bin/env bash
# Captions for the other side of a call: record what the computer plays (a PulseAudio/PipeWire
# "monitor" device), show the captions in a window (ffplay) and keep them.
set -euo pipefail
monitor=$(lt capture --list-devices | awk -F'\t' '/monitor/ {print $1; exit}')
[ -n "$monitor" ] || { echo "no monitor device found: see lt capture --list-devices" >&2; exit 1; }
lt capture --device "$monitor" \
  | lt transcribe --language auto \
  | lt translate --to en,pt \
  | lt store --tee \
  | lt overlay --sink y4m --size 1280x360 --background black \
  | ffplay -loglevel error -
