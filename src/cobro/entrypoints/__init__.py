"""Entrypoints: the CLI, the web server, and later the workers. They call use cases, nothing deeper."""
