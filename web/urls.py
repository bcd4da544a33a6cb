from django.urls import path, re_path

from web import views

urlpatterns = [
    path("", views.demo_page, name="demo"),
    path("demo/people/", views.PeopleView.as_view(), name="demo-people"),
    re_path(r"^web/(?P<path>(?:client|react|demo)/[\w.-]+\.(?:js|css|svg))$", views.web_asset, name="web-asset"),
]
