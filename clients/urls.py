from django.urls import path

from clients import views

app_name = "clients"
urlpatterns = [
    path("", views.organization_list, name="list"),
    path("new/", views.organization_create, name="create"),
    path("<int:pk>/", views.organization_detail, name="detail"),
    path("<int:pk>/edit/", views.organization_edit, name="edit"),
    path("<int:pk>/sites/new/", views.site_create, name="site-create"),
    path("<int:pk>/sites/<int:site_pk>/edit/", views.site_edit, name="site-edit"),
    path("<int:pk>/declarations/new/", views.declaration_create, name="declaration-create"),
    path("<int:pk>/users/new/", views.client_user_create, name="user-create"),
]
