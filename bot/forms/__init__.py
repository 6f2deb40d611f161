"""Data, not code: the default definitions (statistics forms) shipped with the package."""
