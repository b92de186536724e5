# Django's admin autodiscovery imports <app>.admin; the editorial admin lives in editorial/.
from .editorial import admin  # noqa: F401
