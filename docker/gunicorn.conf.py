"""Gunicorn settings for the hub (used by `hub serve` and the container image).

Values come from HUB_BIND and HUB_WORKERS when set; the defaults suit a small VM.
"""

import multiprocessing
import os

bind = os.environ.get("HUB_BIND", "127.0.0.1:8000")
# Threads, not more processes: requests mostly wait on the database, and each process holds
# its own connection pool.
workers = int(os.environ.get("HUB_WORKERS", min(multiprocessing.cpu_count() * 2, 8)))
worker_class = "gthread"
threads = int(os.environ.get("HUB_THREADS", "4"))
timeout = 30
graceful_timeout = 30  # in-flight requests finish on SIGTERM before workers stop
keepalive = 5
# Recycle workers now and then to bound slow leaks, but rarely: a new worker spends seconds of
# CPU building the app, and at 5,000 requests a busy API recycled a worker every few tens of
# seconds (bench/api.py halved its rate whenever one did).
max_requests = 100_000
max_requests_jitter = 10_000
# No control socket: one more local interface to secure, and nothing here needs it.
control_socket_disable = True
# The hub writes its own JSON request log without query strings; gunicorn's access log
# would record raw URLs, which can carry ids.
accesslog = None
errorlog = "-"
# Heartbeat files in memory: a slow disk must not make the arbiter kill healthy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
forwarded_allow_ips = os.environ.get("HUB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker):  # gunicorn calls it after the worker loads the app
    """Put the policy set in force, and in the audit log, before the worker's first request.

    Doing it inside the first request that reads would open a second transaction beside the
    request's own; on SQLite, where every transaction holds the one write lock, the two wait
    on each other until "database is locked". Failing here is not fatal: the first read
    tries again, and refuses (fail closed) if it still cannot.
    """
    app = worker.wsgi
    while not hasattr(app, "extensions") and hasattr(app, "app"):
        app = app.app  # unwrap middleware such as ProxyFix
    store = getattr(app, "extensions", {}).get("hub.policies")
    if store is None:
        return
    try:
        store.in_force()
    except Exception as exc:  # logged; the request path fails closed
        worker.log.warning("policy set not yet recorded at start-up: %s", type(exc).__name__)
