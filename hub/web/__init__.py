"""Server-rendered pages. Until the chair's workspace exists: a landing page and health."""
