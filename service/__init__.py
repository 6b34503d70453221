"""Mystery-shopper monitoring of public services."""

__version__ = "0.1.0"
