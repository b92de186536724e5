"""gunicorn reads this file from the working directory at every start (its default
./gunicorn.conf.py); settings given on the command line still win."""


def post_worker_init(worker):
    """Warm the default pages in a background thread of each worker, and again after every
    data-version bump (alliance/public/warming.py); DJANGO_WARM_PAGES=0 turns it off."""
    try:
        from alliance.public.warming import start

        start()
    except Exception:  # a warming problem must never keep a worker from serving
        worker.log.exception("could not start warming the default pages")
