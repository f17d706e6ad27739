from django.urls import path

from findings import evidence_views

app_name = "findings"
urlpatterns = [
    path("evidence/<int:pk>/download/", evidence_views.evidence_download, name="evidence-download"),
    path("evidence/<int:pk>/thumbnail/", evidence_views.evidence_thumbnail, name="evidence-thumbnail"),
]
