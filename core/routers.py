"""The embedded cache's database: Django's DatabaseCache in a SQLite file of its own.

As Django's cache documentation shows for several databases: the cache's table (app label
"django_cache") is read, written and created only in the "cache" database, which holds nothing
else. The app's database never sees a rate-limit count, so a flood of public requests never queues
for its one writer with the staff's saves.
"""

CACHE_DATABASE = "cache"
CACHE_APP_LABEL = "django_cache"


class CacheRouter:
    def db_for_read(self, model, **hints):
        return CACHE_DATABASE if model._meta.app_label == CACHE_APP_LABEL else None

    def db_for_write(self, model, **hints):
        return CACHE_DATABASE if model._meta.app_label == CACHE_APP_LABEL else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == CACHE_APP_LABEL:
            return db == CACHE_DATABASE
        return False if db == CACHE_DATABASE else None
