"""The deputies' own page: personal links, what a deputy sees on them, and what a deputy enters there."""
