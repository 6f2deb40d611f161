"""Safety Production Month liaison bot."""
