"""DSM Assessment Kit."""
