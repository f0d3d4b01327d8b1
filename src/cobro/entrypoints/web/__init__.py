"""The ASGI app: health checks now; webhooks, the API and the console as they are built."""
