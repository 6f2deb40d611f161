"""The media store: content-addressed files and their paths."""
