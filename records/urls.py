from django.urls import path

from records import views

app_name = "records"
urlpatterns = [
    path("records/disposals/", views.disposal_list, name="disposal-list"),
    path("records/disposals/<int:pk>/", views.disposal_confirm, name="disposal-confirm"),
]
