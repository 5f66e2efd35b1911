"""Monitoring: Prometheus metrics (every one defined in `metrics`), /metrics, /healthz, logs.

Bound to the app by `yachay.monitoring.web.init_app(app, calls)`.
"""
