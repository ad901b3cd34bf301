"""lt: live transcription and translation as Unix pipeline stages."""

__version__ = "0.1.0"
