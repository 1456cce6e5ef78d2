"""Intake: the straight path one incoming message walks, from the mailbox to its answer.

`pipeline` is the journey, read top to bottom (fetch, parse, classify, extract, decide, record
and queue, file); `stages` the values it carries from step to step. Beside it: `classify` (is
it a person, an auto-reply, a bounce?), `extractor` and `reader` (reading forms in processes
under limits), `decide` and `loops` (pure: what becomes of it, and does it answer our own
mail?), `ledger` (its rows in the database), `answers` (the emails it causes) and `filing`
(moving it out of the watched folder). It may import `program` (to route replies to the
program's own mail), `outbound`, `extract`, `mail`, `store` and the top-level modules; only
`worker` and `cli` import it.
"""
