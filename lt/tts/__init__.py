"""Speech out: translations spoken by Piper voices or espeak-ng, placed on the session's audio time.

`lt speak` and `lt dub` are thin commands around this package; see docs/speak.md.
"""
