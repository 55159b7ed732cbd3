"""The record: one `Record` (a unit of work) over SQLite (default) or PostgreSQL (teams).

`ceasefire.storage.record.Record` exposes the stores (agreements, incidents,
findings, cases, ledger, users); the schema is in `models` and `cases`, its
migrations in `migrations`. Storage imports only core types and itself.
"""
