"""Routers of the web service: JSON API, banner, sign-in, account area, public pages."""
