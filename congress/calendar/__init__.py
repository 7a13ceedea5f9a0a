"""Calendar: entries with audiences, deadlines, per-person feeds, re-issues and CalDAV publishing."""
