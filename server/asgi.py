"""ASGI entry point for uvicorn and other servers: `uvicorn server.asgi:app`."""
from server.app import create_app

app = create_app()
