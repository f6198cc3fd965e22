"""People's accounts: passwords, TOTP, server-side sessions, lockout (docs/accounts.md).

`service` and `sessions` hold the rules and know nothing of Flask; `web` holds the pages,
`current_user` and `login_required`; `cli` the `hub users` commands.
"""
