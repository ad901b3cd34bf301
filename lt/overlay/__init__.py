"""Live captions drawn onto video frames: `lt overlay`.

captions (what is on screen and for how long), layout and render (drawing it),
backgrounds (what it sits on), sinks (where frames go), clock (when frames
are made) and stage (the loop that ties them together).
"""
