from django.urls import path

from findings import document_views, evidence_views, nc_views, views

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
    path("ncrs/", nc_views.nc_list, name="nc-list"),
    path("ncrs/<int:pk>/", nc_views.nc_detail, name="nc-detail"),
    path("ncrs/<int:pk>/respond/", nc_views.nc_respond, name="nc-respond"),
    path("ncrs/<int:pk>/review/", nc_views.nc_review, name="nc-review"),
    path("ncrs/<int:pk>/verify/", nc_views.nc_verify, name="nc-verify"),
    path("ncrs/<int:pk>/notes/", nc_views.nc_note, name="nc-note"),
    path("ncrs/files/<int:pk>/", nc_views.nc_file, name="nc-file"),
    path("ncrs/<int:pk>/pdf/", document_views.nc_pdf, name="nc-pdf"),
    path("audits/<int:pk>/ncrs.pdf", document_views.nc_summary_pdf, name="nc-summary-pdf"),
]
