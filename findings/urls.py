from django.urls import path

from findings import evidence_views, views

app_name = "findings"
urlpatterns = [
    path("audits/<int:pk>/checklist/", views.checklist, name="checklist"),
    path("audits/<int:pk>/checklist/<int:clause_pk>/", views.clause_focus, name="clause"),
    path("audits/<int:pk>/history/", views.audit_history, name="history"),
    path("findings/<int:pk>/edit/", views.finding_edit, name="finding-edit"),
    path("findings/<int:pk>/remove/", views.finding_remove, name="finding-remove"),
    path("findings/<int:pk>/evidence/", views.finding_evidence_add, name="evidence-add"),
    path("evidence/<int:pk>/download/", evidence_views.evidence_download, name="evidence-download"),
    path("evidence/<int:pk>/thumbnail/", evidence_views.evidence_thumbnail, name="evidence-thumbnail"),
]
