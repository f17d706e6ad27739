# Dates as Swedes write them (shared/UI.md): 27 nov 2026, 27 nov 2026 14:05. Django's "b" is the
# lower-case short month name ("M" would capitalise it).
DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y H:i"
SHORT_DATE_FORMAT = "j b Y"
SHORT_DATETIME_FORMAT = "j b Y H:i"
TIME_FORMAT = "H:i"
