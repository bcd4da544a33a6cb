from rest_framework.routers import SimpleRouter

from chat.api.views import ChatViewSet

router = SimpleRouter()
router.register("chats", ChatViewSet, basename="chat")

urlpatterns = router.urls
