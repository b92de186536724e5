"""gunicorn reads this file from the working directory at every start (its default
./gunicorn.conf.py); settings given on the command line still win."""

import os
import re


def control_socket_for(cfg) -> str | None:
    """A control socket of this instance's own (gunicornc's), named after the addresses it
    listens on: gunicorn's default is one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl or
    ~/.gunicorn/gunicorn.ctl), so a second instance on the host would take over the first's.
    None when one was chosen (--control-socket) or none is wanted."""
    default = cfg.settings["control_socket"].default
    if cfg.control_socket_disable or cfg.control_socket != default:
        return None
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", "+".join(cfg.bind)).strip("_") or "default"
    return os.path.join(os.path.dirname(default), f"gunicorn-{name}.ctl")


def on_starting(server):
    path = control_socket_for(server.cfg)
    if path is not None:
        server.cfg.set("control_socket", path)


def post_worker_init(worker):
    """Start warming (alliance/public/warming.py): the worker serves at once while a
    background thread primes it and then warms the default pages after every data-version
    bump, yielding to readers. DJANGO_WARM_START_SECONDS above 0 makes this hook wait for
    the first round (within it and half of gunicorn's --timeout, the heartbeat kept)
    before the worker serves; DJANGO_WARM_PAGES=0 turns warming off."""
    try:
        from django.conf import settings

        from alliance.public.warming import start

        budget = settings.WARM_START_SECONDS
        timeout = getattr(worker, "timeout", 0)  # gunicorn's --timeout halved (the heartbeat's period)
        if timeout:
            budget = min(budget, timeout)
        start(budget=budget, tick=getattr(worker, "notify", None))
    except Exception:  # a warming problem must never keep a worker from serving
        worker.log.exception("could not start warming the default pages")
