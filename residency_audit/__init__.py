"""residency-audit: audit where health data lives and who can be compelled to hand it over."""

__version__ = "0.1.0"
