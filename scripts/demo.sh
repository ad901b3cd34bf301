#!/usr/bin/env bash
# The main job: set up .venv, then run the whole pipeline on the example recording, offline and
# paced like a live source (so the report shows real latencies),
# into the embedded PostgreSQL, ending in a subtitled video and an HTML report.
# Usage: scripts/demo.sh [AUDIO_FILE]   (default: examples/meeting.wav)
set -euo pipefail
. "$(dirname "$0")/setup.sh" all
audio=${1:-examples/meeting.wav}
out=${LT_DEMO_OUT:-out/demo}
mkdir -p "$out"
session="demo-$(date -u +%Y%m%dT%H%M%SZ)"
export LT_SESSION=$session

echo "demo: session $session — transcribing, translating to Portuguese, storing and captioning $audio" >&2
set -o pipefail
lt capture "$audio" --realtime \
  | lt transcribe \
  | lt translate --to pt \
  | lt store --tee \
  | lt overlay --clock events --sink video --out "$out/captions.mp4" --audio "$audio" --trace "$out/frames.ndjson"
# The overlay's trace carries each caption's first-frame time; storing it completes the latency trace.
lt store -q < "$out/frames.ndjson"
lt export "$session" --format srt --out "$out/captions.en.srt"
lt export "$session" --format srt --lang pt --out "$out/captions.pt.srt"
lt report "$session" --out "$out/report.html"

cat <<MSG

Done. Session $session:
  video with captions   $out/captions.mp4
  HTML report           $out/report.html
  subtitles             $out/captions.en.srt  $out/captions.pt.srt

Look at it with (after: source .venv/bin/activate):
  lt sessions
  lt status $session
  lt export $session --format vtt --lang pt
  lt search budget
  lt replay $session --type translation | jq -r .text
MSG
