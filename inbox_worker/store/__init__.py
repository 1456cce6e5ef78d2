"""Store: what the program remembers, and the one way to change it.

Owns the database (engine, one session scope per unit of work, migrations),
its tables, the leases that let several workers share one mailbox, and the
raw-mail store that keeps every message as it arrived. It may import only
`config` and `clock`, never another part.
"""
