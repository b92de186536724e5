import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Serving: every database connection gets its timeouts, deadlines and breakers
# (config/settings.py SERVING); management commands do not.
os.environ.setdefault("ALLIANCE_SERVING", "1")
# The requests in flight, counted so that the page warmer yields to them
# (alliance/public/warming.py).
from alliance.public.warming import ReaderCount  # after Django is set up

application = ReaderCount(get_wsgi_application())
