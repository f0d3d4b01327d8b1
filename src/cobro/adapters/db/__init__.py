"""SQLAlchemy 2 persistence for SQLite (embedded default) and PostgreSQL (production)."""
