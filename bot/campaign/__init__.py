"""The campaign calendar: set-up, deadlines, calendar rendering and /mystatus."""
