"""Data-subject rights: requests, their workflow and deadlines, and their execution over every
store trustflux keeps (GDPR Art. 12-21)."""
