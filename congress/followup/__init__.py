"""Follow-up supervision between sessions: suggestions, resolution items, reminders, reports, registers."""
