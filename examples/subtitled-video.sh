#!/usr/bin/env bash
# A recording in, a video with English and Portuguese captions (and the original sound) out.
set -euo pipefail
audio=${1:-examples/meeting.wav}
lt capture "$audio" | lt transcribe | lt translate --to pt \
  | lt overlay --sink video --out captions.mp4 --audio "$audio"
echo "wrote captions.mp4"
