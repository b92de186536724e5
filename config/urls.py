from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "日米同盟レジストリ 編集"
admin.site.site_title = "日米同盟レジストリ"
admin.site.index_title = "編集メニュー"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("alliance.urls")),
]
