"""Default certification-scheme policies, as data.

Everything here is the certification body's own choice (see shared/DOMAIN.md): it is copied
into a CertificationScheme row when a standard is first imported, and from then on staff edit
the row, not this file.
"""

from decimal import Decimal

# Effective personnel up to (inclusive) -> initial audit days (stage 1 + stage 2).
# The last row has no upper bound; growth beyond it follows above_table_* when set.
IAF_MD5_QMS_TABLE = [
    {"up_to": 5, "days": "1.5"},
    {"up_to": 10, "days": "2"},
    {"up_to": 15, "days": "2.5"},
    {"up_to": 25, "days": "3"},
    {"up_to": 45, "days": "4"},
    {"up_to": 65, "days": "5"},
    {"up_to": 85, "days": "6"},
    {"up_to": 125, "days": "7"},
    {"up_to": 175, "days": "8"},
    {"up_to": 275, "days": "9"},
    {"up_to": 425, "days": "10"},
    {"up_to": 625, "days": "11"},
    {"up_to": 875, "days": "12"},
    {"up_to": 1175, "days": "13"},
    {"up_to": 1550, "days": "14"},
    {"up_to": 2025, "days": "15"},
    {"up_to": 2675, "days": "16"},
    {"up_to": 3450, "days": "17"},
    {"up_to": 4350, "days": "18"},
    {"up_to": 5450, "days": "19"},
    {"up_to": 6800, "days": "20"},
    {"up_to": 8500, "days": "21"},
    {"up_to": 10700, "days": "22"},
    {"up_to": None, "days": "22"},
]

ISO_18295_TABLE = [
    {"up_to": 25, "days": "1.5"},
    {"up_to": 100, "days": "2"},
    {"up_to": 250, "days": "2.5"},
    {"up_to": 500, "days": "3"},
    {"up_to": 1000, "days": "4"},
    {"up_to": None, "days": "5"},
]

_COMMON = {
    "cycle_months": 36,
    "first_surveillance_max_months": 12,
    "surveillances_per_year": 1,
    "stage_gap_warning_months": 6,
    "restore_after_expiry_months": 6,
    "suspension_max_months": 6,
    "nc_response_days": 30,
    "major_nc_close_days": 90,
    "minor_nc_verified_at_next_audit": True,
    "suspension_candidate_days": 90,
    "initial_major_nc_max_months": 6,
    "complaint_acknowledge_working_days": 5,
    "complaint_answer_days": 30,
    "audit_day_hours": 8,
    "min_onsite_percent": 80,
    "max_reduction_percent": 30,
    "min_audit_days": Decimal("1"),
    "surveillance_factor": Decimal("0.3333"),
    "recertification_factor": Decimal("0.6667"),
    "sampled_site_max_reduction_percent": 50,
    "day_rate": Decimal("14500.00"),
    "currency": "SEK",
}

# Keyed by the preset name a standard's library file asks for.
SCHEME_PRESETS = {
    # IAF MD 5 for management-system standards certified under ISO/IEC 17021-1.
    "iaf-md5-qms": {
        **_COMMON,
        "audit_time_table": IAF_MD5_QMS_TABLE,
        "above_table_every_personnel": 2200,
        "above_table_extra_days": Decimal("1"),
        "extra_days_per_additional_site": Decimal("0"),
        "stage1_mode": "share",
        "stage1_share": Decimal("0.3333"),
        "stage1_days": Decimal("0.5"),
        "stage1_remote_allowed": False,
        "max_days_per_audit": None,
        "multi_site_sampling_allowed": True,
    },
    # This certification body's own policy for ISO 18295 (a service standard under ISO/IEC 17065).
    "iso-18295": {
        **_COMMON,
        "audit_time_table": ISO_18295_TABLE,
        "above_table_every_personnel": None,
        "above_table_extra_days": None,
        "extra_days_per_additional_site": Decimal("0.5"),
        "stage1_mode": "fixed",
        "stage1_share": Decimal("0.3333"),
        "stage1_days": Decimal("0.5"),
        "stage1_remote_allowed": True,
        # IAF MD 5's 80 % on site binds management-system audits, not this service standard. With the
        # 0.5-day stage 1 remote, a small centre's 1.5 days are two-thirds on site: the policy asks
        # for at least 60 %, so the default plan passes and a mostly remote one is still flagged.
        "min_onsite_percent": 60,
        "max_days_per_audit": Decimal("4"),
        "multi_site_sampling_allowed": True,
    },
}
DEFAULT_PRESET = "iaf-md5-qms"
