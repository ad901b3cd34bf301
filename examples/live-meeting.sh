#!/usr/bin/env bash
# A live meeting: the microphone, captioned in English and Portuguese on a virtual camera
# (pick "lt" / the v4l2loopback device as the camera in Zoom, Meet, Teams or OBS), stored as it goes.
# Linux needs v4l2loopback once: sudo modprobe v4l2loopback devices=1 exclusive_caps=1
set -euo pipefail
export LT_SESSION="meeting-$(date -u +%Y%m%dT%H%M%SZ)"
lt capture mic \
  | lt transcribe \
  | lt translate --to pt \
  | lt store --tee \
  | lt overlay --sink virtualcam --background "${CAMERA:-/dev/video0}"
