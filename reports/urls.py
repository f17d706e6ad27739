from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("audits/<int:pk>/close/", views.audit_close, name="audit-close"),
    path("audits/<int:pk>/report.pdf", views.report_pdf, name="report-pdf"),
]
