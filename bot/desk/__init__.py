"""The coordinator's desk: views, standings, files and remind-now."""
