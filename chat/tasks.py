"""The chat work the transport hands to the workers, by task name (`workers/tasks/chat.py` runs it).

Naming the tasks here, rather than importing them, keeps the layers apart: the sockets and the
REST views know what to ask for, the workers know how to do it.
"""
SEND_MESSAGES = "chat.send_messages"
MARK_DELIVERED_MANY = "chat.mark_delivered_many"
MARK_READ = "chat.mark_read"
EDIT_MESSAGE = "chat.edit_message"
DELETE_MESSAGE = "chat.delete_message"
REACT = "chat.react"
DELIVER_PENDING_MANY = "chat.deliver_pending_many"
RECORD_TYPING = "chat.record_typing"
EXPIRE_TYPING = "chat.expire_typing"
REMOVE_UNATTACHED_UPLOADS = "chat.remove_unattached_uploads"
REMOVE_DELETED_ATTACHMENTS = "chat.remove_deleted_attachments"
QUEUE_EMAIL_DIGESTS = "chat.queue_email_digests"
SEND_EMAIL_DIGEST = "chat.send_email_digest"
