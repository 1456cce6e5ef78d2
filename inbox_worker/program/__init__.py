"""Program: the mentoring program's year, as the program document describes it.

Owns the lifecycle of a relationship (suggested, approved, introduced,
active, closed), the schedule of what is due (check-ins, closings, the
digest), the jobs that carry it out, replies to the program's own mail,
signed command tokens, privacy and retention, and the read-only views the
coordinators' commands show. It may import `outbound`, `matching`, `mail`,
`store`, `extract` and the top-level modules; never `intake`, `worker` or
`cli`.
"""
