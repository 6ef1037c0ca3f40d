"""gemgate: one gateway from Google Gemini access to the APIs tools already speak."""

__version__ = "0.1.0"
