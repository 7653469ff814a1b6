"""briefgen: audience briefs from a fact base, every sentence footnoted to its source."""

__version__ = "0.1.0"
