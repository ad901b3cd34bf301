"""Speech recognition for `lt transcribe`: model resolution, the streaming policy, batch mode."""
