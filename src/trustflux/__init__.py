"""trustflux: a privacy-by-design data platform for a mobile and broadband operator."""

__version__ = "0.1.0"
