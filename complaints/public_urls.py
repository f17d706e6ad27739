from django.urls import path

from complaints import views

app_name = "complaints_public"
urlpatterns = [
    path("complaint/", views.public_complaint, name="form"),
    path("complaint/received/<str:token>/", views.public_complaint_received, name="received"),
]
