"""gunicorn reads this file from the working directory at every start (its default
./gunicorn.conf.py); settings given on the command line still win."""


def post_worker_init(worker):
    """Warm and prime the worker before it takes a request, within DJANGO_WARM_START_SECONDS
    and half of gunicorn's --timeout (the worker's heartbeat is kept), then warm the default
    pages in a background thread after every data-version bump
    (alliance/public/warming.py); DJANGO_WARM_PAGES=0 turns it off."""
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
