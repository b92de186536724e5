from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "日米同盟レジストリ 編集"
admin.site.site_title = "日米同盟レジストリ"
admin.site.index_title = "編集メニュー"

from alliance.editorial.admin import quality_report_view  # noqa: E402
from alliance.public.urls import root_urlpatterns  # noqa: E402

urlpatterns = [
    path("admin/quality/", admin.site.admin_view(quality_report_view), name="admin-quality"),
    path("admin/", admin.site.urls),
    *root_urlpatterns,
]
# Japanese at /…, English at /en/…: each language has its own shareable URL.
urlpatterns += i18n_patterns(path("", include("alliance.public.urls")), prefix_default_language=False)
