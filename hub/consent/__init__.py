"""Consent and public-interest decisions: the bases health information goes out under.

R-18, R-28..R-31 (domain.md §9). `basis` is what the gate asks on every read; `records` and
`public_interest` are the write side; `withdrawal` carries out R-29; `fhir` maps consents to
and from FHIR R4 Consent resources; `cli` is `hub consent` and `hub public-interest`.
"""
