"""The app's widgets, one per module with its CSS beside it."""
