from django.urls import path

from standards import views

app_name = "standards"
urlpatterns = [
    path("standards/", views.standard_list, name="standard-list"),
    path("standards/<int:pk>/", views.standard_detail, name="standard-detail"),
]
