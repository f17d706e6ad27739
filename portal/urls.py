from django.urls import path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("security/", views.security_log, name="security-log"),
]
