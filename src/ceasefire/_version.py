"""The version, importable without importing the notebook API in `ceasefire/__init__`."""

__version__ = "0.1.0"
