from django.urls import path

from certificates import views

app_name = "certificates"
urlpatterns = [
    path("audits/<int:pk>/decision/", views.decision, name="decision"),
    path("certificates/", views.certificate_list, name="certificate-list"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>/suspend/", views.certificate_suspend, name="certificate-suspend"),
    path("certificates/<int:pk>/restore/", views.certificate_restore, name="certificate-restore"),
    path("certificates/<int:pk>/withdraw/", views.certificate_withdraw, name="certificate-withdraw"),
    path("certificates/<int:pk>/scope/", views.certificate_scope, name="certificate-scope"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate-pdf"),
    path(
        "certificates/<int:pk>/revisions/<int:revision>/pdf/",
        views.certificate_revision_pdf,
        name="certificate-revision-pdf",
    ),
]
