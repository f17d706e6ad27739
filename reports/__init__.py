"""The audit's closing and its report: the lead auditor's recommendation, the nonconformities it
raises, the audit report PDF and its download.

Findings depend on audits, and the closing and the report depend on both, so they sit above
findings rather than inside audits: audits imports neither findings nor this app.
"""
