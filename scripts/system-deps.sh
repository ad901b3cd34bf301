#!/usr/bin/env bash
# Optional system packages some tests use: Chromium (the HTML report renders in it), a CJK font
# (captions in Japanese with --font), espeak-ng (lt speak's engine for every language) and PortAudio
# (sounddevice: lt speak --sink device, played into an ALSA file device in the tests).
# Installed only where we are root with apt-get; elsewhere those tests skip and say why.
set -uo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
ldconfig -p 2>/dev/null | grep -q libportaudio.so.2 || missing+=(libportaudio2)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
    || echo "system-deps: could not install ${missing[*]}; the tests that need them will skip" >&2
else
  echo "system-deps: ${missing[*]} not found; the tests that need them will skip" >&2
fi
exit 0
