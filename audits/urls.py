from django.urls import path

from audits import document_views, planning_views, views

app_name = "audits"
urlpatterns = [
    path("programmes/new/", views.programme_create, name="programme-create"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme-detail"),
    path("programmes/<int:pk>/decision/", views.programme_decision, name="programme-decision"),
    path("programmes/<int:pk>/audits/new/", views.audit_create, name="audit-create"),
    path("programmes/<int:pk>/quote/", document_views.quote_detail, name="quote"),
    path("programmes/<int:pk>/quote.pdf", document_views.quote_pdf, name="quote-pdf"),
    path("audits/", views.audit_list, name="audit-list"),
    path("audits/<int:pk>/", views.audit_detail, name="audit-detail"),
    path("audits/<int:pk>/edit/", views.audit_edit, name="audit-edit"),
    path("audits/<int:pk>/time/", views.audit_time, name="audit-time"),
    path("audits/<int:pk>/team/", views.audit_team, name="audit-team"),
    path("audits/<int:pk>/team/<int:member_pk>/remove/", views.audit_team_remove, name="audit-team-remove"),
    path("audits/<int:pk>/objections/new/", views.audit_objection_create, name="objection-create"),
    path(
        "audits/<int:pk>/objections/<int:objection_pk>/decide/",
        views.audit_objection_decide,
        name="objection-decide",
    ),
    path("audits/<int:pk>/plan/", views.audit_plan, name="audit-plan"),
    path("audits/<int:pk>/plan/days/<int:day_pk>/remove/", views.plan_day_remove, name="plan-day-remove"),
    path("audits/<int:pk>/plan/slots/<int:slot_pk>/remove/", views.plan_slot_remove, name="plan-slot-remove"),
    path("audits/<int:pk>/plan/confirm/", views.audit_plan_confirm, name="audit-plan-confirm"),
    path("audits/<int:pk>/plan.pdf", document_views.plan_pdf, name="plan-pdf"),
    path("calculator/", views.calculator, name="calculator"),
    path("planning/due/", planning_views.planning_due, name="planning-due"),
]
