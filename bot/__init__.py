"""Safety Production Month liaison bot."""

__version__ = "0.1.0"
