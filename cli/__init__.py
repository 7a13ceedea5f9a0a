"""The `congress` command line."""
