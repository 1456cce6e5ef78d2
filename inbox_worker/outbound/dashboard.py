"""Where the program stands, in words: the summary lines, the check-in outcomes and the digest's
context, shared by the digest, the report and `inbox-worker status`.

However large the program, the digest lists a few of each kind of item (the most urgent
first) and counts the rest, with the command that lists them all.
"""
from __future__ import annotations

from datetime import date

from inbox_worker.config import Settings
from inbox_worker.outbound.contexts import base
from inbox_worker.outbound.emails import InlineImage
from inbox_worker.outbound.words import ROLE_LABELS, day_for_people

# However large the program, the digest lists this many of each kind of item (the most urgent
# first) and counts the rest, with the command that lists them all.
SHOWN_SUGGESTIONS = 20


SHOWN_ITEMS = 10


SHOWN_APPLICATIONS = 30


def summary_lines(standing, today: date) -> list[dict[str, str]]:
    """Where the program stands, a label and a value a line (`standing` is `program.standing.Standing`)."""
    st = standing
    waiting = f"{st.without_mentor}" if st.without_mentor else "none"
    held = [f"{st.suggested} with a suggested match" if st.suggested else "",
            f"{st.proposed} with a match proposed" if st.proposed else ""]
    if any(held):
        waiting += " (" + ", ".join(x for x in held if x) + ")"
    if st.longest_wait_since:
        waiting += f", the longest for {st.longest_wait_days} days"
    decisions = (f"{st.decisions_waiting} suggested match{'es' if st.decisions_waiting != 1 else ''}"
                 if st.decisions_waiting else "none")
    checkins = (", ".join(x for x in (f"{st.checkins_due_this_week} due this week" if st.checkins_due_this_week
                                      else "", f"{st.checkins_overdue} overdue" if st.checkins_overdue else "")
                          if x) or "none due this week, none overdue")
    return [
        {"label": "Decisions waiting for you", "value": decisions},
        {"label": "Protégés waiting for a mentor", "value": waiting},
        {"label": "Mentors with a free place", "value": (f"{st.mentors_with_room} ({st.free_places} place"
                                                         f"{'s' if st.free_places != 1 else ''})"
                                                         if st.mentors_with_room else "none")},
        {"label": "Pairs under way", "value": f"{st.under_way}" + (f", and {st.starting} starting"
                                                                    if st.starting else "")},
        *([{"label": "Matches asked of the pair", "value": (
            f"{st.proposed} waiting for their answers" + (f", {st.proposals_unanswered} unanswered even after "
                                                          f"the reminder" if st.proposals_unanswered else ""))}]
          if st.proposed else []),
        {"label": "Check-ins", "value": checkins},
        {"label": "Mail set aside for you to read", "value": f"{st.review_open}" if st.review_open else "none"},
        {"label": "Email not delivered", "value": f"{st.undelivered}" if st.undelivered else "none"},
    ]


def _shown(items: list, limit: int) -> tuple[list, int]:
    return items[:limit], max(0, len(items) - limit)


def outcome_context(outcomes) -> dict:
    """Check-in and closing answers summed up (`outcomes` is `program.outcomes.Outcomes`)."""
    tracks = {t.name.lower(): n for t, n in outcomes.tracks.items()}
    return {
        "checkin_answers": outcomes.checkin_answers, "on_track": tracks.get("on_track", 0),
        "partly": tracks.get("partly", 0), "off_track": tracks.get("off_track", 0),
        "not_said": tracks.get("not_said", 0),
        "help": [{"who": f"{r.name} ({ROLE_LABELS.get(r.role, r.role)}, with {r.other_name})",
                  "relationship_id": r.relationship_id, "asked": text} for r, text in outcomes.help[:SHOWN_ITEMS]],
        "asked_for_help": len(outcomes.help),
        "feedback": outcomes.feedback, "would_return": outcomes.would_return,
        "quotes": [{"role": ROLE_LABELS.get(role, "participant"), "words": words}
                   for role, words in outcomes.quotes[:SHOWN_ITEMS]],
    }


def digest_context(settings: Settings, contents, *, standing, outcomes, period_words: str, token: str | None,
                   token_expires: str, chart: InlineImage | None, explain_reply_commands: bool) -> dict:
    """The digest template's context: the summary, then each list cut to its most urgent items.

    `contents` is `schedule.DigestContents`, its items already in words; `standing` and
    `outcomes` are the program's figures (`program.standing`, `program.outcomes`).
    """
    today = standing.today
    suggestions, more_suggestions = _shown(sorted(contents.suggestions, key=lambda x: (x["applied_at"], x["id"])),
                                           SHOWN_SUGGESTIONS)
    held = [u for u in contents.unmatched if not u["outnumbered"]]
    unmatched, more_unmatched = _shown(sorted(held, key=lambda u: u["applied_at"]), SHOWN_ITEMS)
    applications = contents.applications
    if len(applications) > SHOWN_APPLICATIONS:
        # A season's first digest: the incomplete ones need someone; the others are counted.
        applications = [a for a in applications if a["missing"]]
    listed_applications, more_applications = _shown(applications, SHOWN_APPLICATIONS)
    assessments = sorted(contents.assessments, key=lambda a: (not a["overdue"], a["relationship_id"]))
    assessments, more_assessments = _shown(assessments, SHOWN_ITEMS)
    review, more_review = _shown(contents.review, SHOWN_ITEMS)
    failures, more_failures = _shown(contents.failures, SHOWN_ITEMS)
    activity = contents.activity[-SHOWN_APPLICATIONS:]
    roles = {label: sum(1 for a in contents.applications if a["role_label"] == label and a["kind"] == "new")
             for label in ("protégé", "mentor")}
    return base(settings) | {
        "period": period_words, "today": day_for_people(today),
        "since": day_for_people(contents.since, today, settings.program.zone),
        "summary": summary_lines(standing, today), "token": token, "token_expires": token_expires,
        "explain_reply_commands": explain_reply_commands,
        "chart": {"cid": chart.cid, "alt": chart.alt} if chart else None,
        "suggestions": suggestions, "more_suggestions": more_suggestions,
        "proposals": sorted(contents.proposals, key=lambda p: (not p["attention"], p["relationship_id"]))[:SHOWN_ITEMS],
        "more_proposals": max(0, len(contents.proposals) - SHOWN_ITEMS),
        "decisions_total": len(contents.suggestions),
        "unmatched": unmatched, "more_unmatched": more_unmatched,
        "outnumbered": sum(1 for u in contents.unmatched if u["outnumbered"]),
        "applications": listed_applications, "more_applications": more_applications,
        "new_applications": roles, "applications_total": len(contents.applications),
        "review": review, "more_review": more_review,
        "supervisor_notices": contents.supervisor_notices[:SHOWN_ITEMS],
        "assessments": assessments, "more_assessments": more_assessments,
        "ending": contents.ending[:SHOWN_ITEMS], "more_ending": max(0, len(contents.ending) - SHOWN_ITEMS),
        "shortage": [{"library": f"{x.library_type} libraries" if x.library_type != "other"
                      else "other kinds of library", "waiting": x.waiting, "free_places": x.free_places,
                      "short_by": x.short_by} for x in contents.shortage],
        "call_for_mentors": contents.call_for_mentors, "failures": failures, "more_failures": more_failures,
        "activity": activity, "more_activity": len(contents.activity) - len(activity),
        "outcomes": outcome_context(outcomes),
    }
