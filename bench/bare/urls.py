from django.http import JsonResponse
from django.urls import path


def hello(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("", hello)]
