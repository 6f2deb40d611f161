"""People and units: liaison registration, coordinators, units and the unit import."""
