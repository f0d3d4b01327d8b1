"""Real implementations of the ports: database, files, and later WhatsApp, payments and the queue."""
