"""Collectors add observed facts to an audit: DNS (dns.py, the only dnspython import)."""
