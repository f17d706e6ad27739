from django.urls import path

from certificates import certsearch, public_views

app_name = "public"
urlpatterns = [
    path("verify/<str:number>/", public_views.verify, name="verify"),
    path("register/", public_views.register, name="register"),
    path("language/", public_views.language, name="language"),
    path("accreditation-marks/<int:scheme>/", public_views.accreditation_mark, name="accreditation-mark"),
    # Staff only, but here beside the register: the same listed certificates, for IAF CertSearch.
    path("certificates/certsearch/", certsearch.summary, name="certsearch"),
    path("certificates/export.xlsx", certsearch.export_xlsx, name="certsearch-xlsx"),
    path("certificates/export.json", certsearch.export_json, name="certsearch-json"),
]
