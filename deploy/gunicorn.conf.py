# Read by `yachay serve` (which sets bind and workers from its options), or directly:
#   gunicorn -c deploy/gunicorn.conf.py "yachay.app:create_app()"
# Workers are stateless: every call's state lives in the database, so any worker (or host)
# can answer the next webhook of a call.
import os
import shutil

bind = os.environ.get("YACHAY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("YACHAY_WORKERS", "4"))
threads = 2
# Twilio gives up after 15 s; a request that slow is a bug, not a reason to wait.
timeout = 10

# Metrics: each worker writes its values to files in this folder and GET /metrics adds them
# up, whichever worker answers (prometheus_client's multiprocess mode). It must be set
# before a worker imports prometheus_client, hence here, in the master.
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    from yachay.config import load_settings  # the app's own var folder

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(load_settings().var_dir / "metrics")
metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    # The files of a previous run would be added to this run's counts.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's live gauges must stop counting; its counters stay.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, metrics_dir)


# YACHAY_LOG_FORMAT=json: gunicorn's own lines (workers, access log) are JSON objects too,
# with phone numbers masked, like the app's.
if os.environ.get("YACHAY_LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "yachay.monitoring.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }

# A webhook body is a few hundred bytes of form fields; refuse huge header lines early.
limit_request_line = 8190
limit_request_fields = 100
# YACHAY_ACCESS_LOG="" turns the access log off (bench/load.py measures without it).
accesslog = os.environ.get("YACHAY_ACCESS_LOG", "-") or None
# gunicorn 27 opens a control socket in ~/.gunicorn by default: one per host, not per server.
control_socket_disable = True


def post_fork(server, worker):
    # torch starts a thread per core in every process: 4 workers x 2 threads on 2 cores
    # would oversubscribe them. One thread a worker; the workers are the parallelism.
    from yachay.tutor.serving import one_thread_per_worker

    one_thread_per_worker()
