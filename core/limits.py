"""Limits on what people type, each in one place: the models, the forms and the API read them here."""

# The longest free text a field takes (a scope, a finding's statement, an answer's root cause):
# some eight pages of the documents that print it whole. reportlab's time grows faster than the
# text (a megabyte pasted into a root cause kept the NCR's download busy for over a minute), and a
# text that long is a mistake, not a record. A model's TextField carries it as max_length, so its
# ModelForm (a textarea with maxlength) and ModelSerializer refuse more, with Django's and DRF's
# own message; a plain form or serializer field states it too.
LONG_TEXT_MAX_LENGTH = 20_000
