"""Level 2/3 MAPPA meetings: referrals (MAPPA A), meetings and their agendas, attendance and the
confidentiality statement (MAPPA D), minutes per case (MAPPA B), disclosure decisions and
actions (domain.md §1.5-1.7; R-07 to R-11, R-24 to R-27, R-47, R-49).

`models` holds the tables, `services` the writes and the rules, `reading` what pages may show.
"""
