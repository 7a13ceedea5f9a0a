"""The project's web process: calendar feeds and the staff dashboard. Routes stay as thin as flows."""
