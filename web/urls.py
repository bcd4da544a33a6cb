from django.conf import settings
from django.urls import path, re_path

from web import views

# The JavaScript client's modules are for any front end; the demo page, its own modules and its
# people directory only for development servers or where DEMO_ENABLED asks for them.
urlpatterns = [
    re_path(r"^web/(?P<path>(?:client|react)/[\w.-]+\.(?:js|css|svg))$", views.web_asset, name="web-asset"),
]
if settings.DEMO_ENABLED:
    urlpatterns += [
        path("", views.demo_page, name="demo"),
        path("demo/people/", views.PeopleView.as_view(), name="demo-people"),
        re_path(r"^web/(?P<path>demo/[\w.-]+\.(?:js|css|svg))$", views.web_asset, name="demo-asset"),
    ]
