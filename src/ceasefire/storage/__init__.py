"""The record: one repository interface over SQLite (default) or PostgreSQL (teams)."""
