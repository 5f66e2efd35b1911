# Read by `yachay serve` (which sets bind and workers from its options), or directly:
#   gunicorn -c deploy/gunicorn.conf.py "yachay.app:create_app()"
# Workers are stateless: every call's state lives in the database, so any worker (or host)
# can answer the next webhook of a call.
import os

bind = os.environ.get("YACHAY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("YACHAY_WORKERS", "4"))
threads = 2
# Twilio gives up after 15 s; a request that slow is a bug, not a reason to wait.
timeout = 10
# A webhook body is a few hundred bytes of form fields; refuse huge header lines early.
limit_request_line = 8190
limit_request_fields = 100
# YACHAY_ACCESS_LOG="" turns the access log off (bench/load.py measures without it).
accesslog = os.environ.get("YACHAY_ACCESS_LOG", "-") or None
# gunicorn 27 opens a control socket in ~/.gunicorn by default: one per host, not per server.
control_socket_disable = True


def post_fork(server, worker):
    # torch starts one intra-op thread per core in every process: 4 workers x 2 threads on
    # 2 cores would oversubscribe them. One thread a worker; the workers are the parallelism.
    import torch

    torch.set_num_threads(1)
