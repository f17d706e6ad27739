from django.urls import path

from transfers import views

app_name = "transfers"
urlpatterns = [
    path("transfers/", views.transfer_list, name="transfer-list"),
    path("transfers/new/", views.transfer_create, name="transfer-create"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/edit/", views.transfer_edit, name="transfer-edit"),
    path("transfers/<int:pk>/reviewer/", views.transfer_reviewer, name="transfer-reviewer"),
    path("transfers/<int:pk>/start-review/", views.transfer_start_review, name="transfer-start-review"),
    path("transfers/<int:pk>/documents/", views.transfer_document_add, name="transfer-document-add"),
    path(
        "transfers/<int:pk>/documents/<int:document_pk>/",
        views.transfer_document_download,
        name="transfer-document-download",
    ),
    path(
        "transfers/<int:pk>/review/<int:item_pk>/",
        views.transfer_review_answer,
        name="transfer-review-answer",
    ),
    path(
        "transfers/<int:pk>/complete-review/", views.transfer_complete_review, name="transfer-complete-review"
    ),
    path("transfers/<int:pk>/nonconformities/", views.transfer_nonconformity_add, name="transfer-nc-add"),
    path(
        "transfers/<int:pk>/nonconformities/<int:nc_pk>/close/",
        views.transfer_nonconformity_close,
        name="transfer-nc-close",
    ),
    path("transfers/<int:pk>/visit/", views.transfer_visit, name="transfer-visit"),
    path("transfers/<int:pk>/decision/", views.transfer_decide, name="transfer-decide"),
]
