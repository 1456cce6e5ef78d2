"""Matching: who could mentor whom, and why, as pure functions.

Owns the program's hard rules for a pair (not the same employer, same
level or above, capacity), the soft score (library type, goals against
strengths, Wyoming experience, time waiting), text likeness, one optimal
assignment over all protégés, and the explanation a coordinator reads. It
reads no database and sends nothing; it may import only the top-level
modules (`config`, `form`).
"""
