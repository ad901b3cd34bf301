#!/usr/bin/env bash
# A recording in, a dubbed video out: Portuguese speech at each caption's time (track 1), the original (track 2).
set -euo pipefail
input=${1:-examples/meeting.wav}
lt dub "$input" --to pt --out dubbed.mp4 --save-track dubbed.pt.wav
echo "wrote dubbed.mp4 and dubbed.pt.wav"
