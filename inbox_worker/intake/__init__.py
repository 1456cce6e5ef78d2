"""Intake: the straight path one incoming message walks, from the mailbox to its answer.

Owns the pipeline (fetch, parse, classify, extract, decide, record and
queue, file), classification (is it a person, an auto-reply, a bounce?), the
decision of what to do, and reading ahead in other processes. It may import
`program` (to route replies to the program's own mail), `outbound`,
`extract`, `mail`, `store` and the top-level modules; only `worker` and
`cli` import it.
"""
