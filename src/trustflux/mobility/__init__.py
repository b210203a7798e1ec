"""Anonymised mobility statistics: footfall, origin and movement."""
