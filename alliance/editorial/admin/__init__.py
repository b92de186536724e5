"""The editorial admin: every model, with partial-date inputs, inlines, citations,
import and export, history with revert, and publishing gated by a permission.

One module per family of records (bodies, meetings, people, sources, agreements), the
shared base in base.py, the import forms in importing.py, what publishers review in
review.py, and the accounts and their roles in accounts.py. Importing this package
registers them all."""

from django.contrib import admin

from . import accounts, agreements, bodies, intake, meetings, people, review, sources  # noqa: F401  (they register)
from .review import quality_report_view  # noqa: F401  (config/urls.py)

admin.site.index_template = "alliance/admin/index.html"
# The model list beside every form took a quarter of a 1,280 px window and pushed the
# attendee and seat tables off screen; the index and the breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False
