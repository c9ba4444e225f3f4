"""The HTTP front: an asyncio HTTP/1.1 server."""
