from django.urls import path

from outbox import views

app_name = "outbox"
urlpatterns = [
    path("outbox/", views.message_list, name="list"),
    path("outbox/<int:pk>/retry/", views.message_retry, name="retry"),
]
