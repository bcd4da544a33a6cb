from django.contrib import admin

from workers.models import FailedTask


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    list_display = ("failed_at", "task_name", "exception_type", "retries", "worker")
    list_filter = ("task_name", "exception_type")
    search_fields = ("task_id", "task_name", "exception_message")
    date_hierarchy = "failed_at"
    readonly_fields = [field.name for field in FailedTask._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
