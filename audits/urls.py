from django.urls import path

from audits import views

app_name = "audits"
urlpatterns = [
    path("", views.standard_list, name="standard-list"),
    path("<int:pk>/", views.standard_detail, name="standard-detail"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme-detail"),
]
