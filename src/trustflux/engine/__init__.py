"""Engines (Ibis backends) and the on-disk layout of the store."""
