"""gunicorn's settings for Certdesk: `gunicorn -c config/gunicorn.py config.wsgi`.

Everything here can still be set on the command line or in GUNICORN_CMD_ARGS (say --workers or
--bind); the benchmark (bench/run.py) serves the app and the bare Django view with this file.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", 0)) or multiprocessing.cpu_count()
worker_class = "sync"
# Long enough for an evidence upload of EVIDENCE_MAX_BYTES over a slow site network.
timeout = 300


def post_worker_init(worker):
    """Once the app is loaded, its modules, URL patterns, templates and settings live as long as the
    worker: frozen out of the garbage collector, whose every full pass would otherwise walk the
    hundreds of thousands of them again (a pause of several milliseconds every few requests)."""
    gc.freeze()
