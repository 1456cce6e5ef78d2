"""The `inbox-worker` command, one module per group of commands.

`main` puts the groups together; `common` holds what every command shares
(options, loading the settings, failing with a plain message). The CLI may
import every other part; nothing imports it.
"""
