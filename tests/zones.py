"""Time zones the date rules are tested in: the MSPs of a distributor can sit anywhere."""

# Daylight saving time (both hemispheres), half-hour offsets, a half-hour DST shift and offsets
# beyond ±12 h.
ZONES = [
    "UTC",
    "Europe/Paris",
    "America/Toronto",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "America/Los_Angeles",
]
# Zones where, some years, clocks jumped forward at midnight: that local day started at 01:00.
ZONES_WITH_MIDNIGHT_GAPS = [
    "America/Sao_Paulo",
    "America/Santiago",
    "Asia/Beirut",
    "America/Havana",
]
