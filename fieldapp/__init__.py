"""fieldapp — an offline-first field-force CRM for the desktop."""

__version__ = "0.1.0"
