"""HTTP service: FastAPI app, auth and roles, one router per mechanism, server-rendered pages."""
