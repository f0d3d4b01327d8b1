"""Reference data from well-kept libraries: currencies and numbers (babel), phones (phonenumbers), zones (tzdata)."""
