from django.urls import path

from complaints import views

app_name = "complaints"


def _both(action: str, view) -> list:
    """One step's route for complaints and for appeals."""
    return [
        path(f"complaints/<int:pk>/{action}/", view, {"kind": "complaint"}, name=f"complaint-{action}"),
        path(f"appeals/<int:pk>/{action}/", view, {"kind": "appeal"}, name=f"appeal-{action}"),
    ]


urlpatterns = [
    path("complaints/", views.case_list, name="case-list"),
    path("complaints/new/", views.complaint_new, name="complaint-new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint-detail"),
    path("complaints/<int:pk>/special-audit/", views.complaint_special_audit, name="complaint-special-audit"),
    path("complaints/<int:pk>/suspend/", views.complaint_suspend, name="complaint-suspend"),
    path("appeals/new/", views.appeal_new, name="appeal-new"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal-detail"),
    path("appeals/<int:pk>/reinstate/", views.appeal_reinstate, name="appeal-reinstate"),
    path("appeals/<int:pk>/redecide/", views.appeal_redecide, name="appeal-redecide"),
    path("appeals/<int:pk>/regrade/", views.appeal_regrade, name="appeal-regrade"),
    *_both("acknowledge", views.case_acknowledge),
    *_both("assign", views.case_assign),
    *_both("progress", views.case_progress),
    *_both("decide", views.case_decide),
    *_both("close", views.case_close),
    path("complaints/<int:pk>/letter.pdf", views.case_letter, {"kind": "complaint"}, name="complaint-letter"),
    path("appeals/<int:pk>/letter.pdf", views.case_letter, {"kind": "appeal"}, name="appeal-letter"),
]
