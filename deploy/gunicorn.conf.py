# gunicorn -c deploy/gunicorn.conf.py "yachay.app:create_app()"
# Workers are stateless: every call's state lives in the database, so any worker (or host)
# can answer the next webhook of a call.
import os

bind = os.environ.get("YACHAY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("YACHAY_WORKERS", "4"))
threads = 2
# Twilio gives up after 15 s; a request that slow is a bug, not a reason to wait.
timeout = 10
accesslog = "-"
