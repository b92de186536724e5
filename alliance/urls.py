from django.urls import path

from . import views

app_name = "alliance"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("agreements/", views.PublicListView.as_view(listing_name="agreement"), name="agreement-list"),
    path("agreements/export.csv", views.PublicCsvView.as_view(listing_name="agreement"), name="agreement-csv"),
    path("agreements/<slug:slug>/", views.AgreementDetail.as_view(), name="agreement-detail"),
    path("bodies/", views.PublicListView.as_view(listing_name="body"), name="body-list"),
    path("bodies/export.csv", views.PublicCsvView.as_view(listing_name="body"), name="body-csv"),
    path("bodies/<slug:slug>/", views.BodyDetail.as_view(), name="body-detail"),
    path("members/", views.PublicListView.as_view(listing_name="membership"), name="membership-list"),
    path("members/export.csv", views.PublicCsvView.as_view(listing_name="membership"), name="membership-csv"),
    path("members/<slug:slug>/", views.MembershipDetail.as_view(), name="membership-detail"),
    path("people/", views.PublicListView.as_view(listing_name="person"), name="person-list"),
    path("people/export.csv", views.PublicCsvView.as_view(listing_name="person"), name="person-csv"),
    path("people/<slug:slug>/", views.PersonDetail.as_view(), name="person-detail"),
    path("meetings/", views.PublicListView.as_view(listing_name="meeting"), name="meeting-list"),
    path("meetings/export.csv", views.PublicCsvView.as_view(listing_name="meeting"), name="meeting-csv"),
    path("meetings/<slug:slug>/", views.MeetingDetail.as_view(), name="meeting-detail"),
    path("organizations/<slug:slug>/", views.OrganizationDetail.as_view(), name="organization-detail"),
    path("posts/<slug:slug>/", views.PostDetail.as_view(), name="post-detail"),
    path("structure/", views.structure, name="structure"),
    path("structure/<slug:slug>/", views.structure, name="structure-of"),
    path("chronology/", views.chronology, name="chronology"),
]
