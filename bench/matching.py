"""Benchmark of the matching engine: 1,000 protégés and 1,000 mentors, suggested twice.

The people are made up from a fixed seed (library types, levels, employers
including branches of library systems and misspelt names, goals and
strengths texts, capacities, active counts and past pairs), so every run
sees the same inputs. It prints one JSON line (seconds per run, whether the
two runs gave identical results) and one line for people.

    .venv/bin/python bench/matching.py [--proteges N] [--mentors N]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inbox_worker.config import MatchingSettings
from inbox_worker.matching.engine import Candidate, suggest_matches

SEED = 20250601
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LIMIT_SECONDS = 10.0

TOWNS = ["Casper", "Cheyenne", "Laramie", "Gillette", "Rock Springs", "Sheridan", "Green River", "Evanston",
         "Riverton", "Jackson", "Cody", "Rawlins", "Lander", "Douglas", "Powell", "Torrington", "Worland",
         "Buffalo", "Wheatland", "Newcastle", "Thermopolis", "Kemmerer", "Sundance", "Pinedale", "Lusk"]
COUNTIES = ["Natrona", "Laramie", "Albany", "Campbell", "Sweetwater", "Sheridan", "Uinta", "Fremont", "Teton",
            "Park", "Carbon", "Converse", "Goshen", "Washakie", "Johnson", "Platte", "Weston", "Hot Springs",
            "Lincoln", "Sublette", "Niobrara", "Crook", "Big Horn"]
SYSTEMS = {
    "Laramie County Library System": ["Pine Bluffs Branch", "Burns Branch", "Bookmobile"],
    "Sweetwater County Library System": ["White Mountain Library", "Green River Library",
                                         "Wamsutter Library", "Farson Library"],
    "Fremont County Library System": ["Lander Library", "Riverton Branch", "Dubois Branch"],
    "Park County Library System": ["Cody Library", "Powell Branch", "Meeteetse Branch"],
}

TOPICS = ["storytime planning", "grant writing", "budgeting and finance", "board relations",
          "supervising staff", "collection development", "cataloging in the WYLD consortium",
          "library instruction", "teen programming", "makerspace technology", "outreach to rural patrons",
          "strategic planning", "archives and local history", "reference interviews", "marketing",
          "summer reading", "weeding", "interlibrary loan", "digital literacy classes", "school curriculum",
          "legal research", "medical databases", "tribal language materials",
          "facilities and building projects",
          "leadership", "conflict resolution", "volunteer management", "early literacy", "genealogy",
          "ebooks and databases"]
GOAL_LEADS = ["I would like help with", "My goals are", "I am new and want to learn about",
              "Looking for guidance on", "I hope to grow in", "Problems I face:"]
STRENGTH_LEADS = ["Strengths:", "I have experience with", "Expertise in", "I can help with",
                  "Positions held in areas of"]
POSITIONS = {
    0: ["Library Assistant", "Circulation Clerk", "Library Technician", "Library Associate", "Page"],
    1: ["Reference Librarian", "Children's Librarian", "Teen Services Librarian", "Cataloging Librarian",
        "School Library Media Specialist", "Archivist"],
    2: ["Branch Manager", "Circulation Supervisor", "Head of Technical Services", "Assistant Director"],
    3: ["Library Director", "Dean of Libraries", "Executive Director"],
}
TYPES = ["public"] * 6 + ["academic"] * 2 + ["school"] * 2 + ["special", "state", "tribal"]


def _employers(rng: random.Random) -> list[tuple[str, str]]:
    """(library name, type) pairs: county libraries, branches, colleges, schools, specials, misspellings."""
    out = [(f"{c} County Library", "public") for c in COUNTIES]
    out += [(f"{c} County Public Library", "public") for c in COUNTIES[::3]]
    for system, branches in SYSTEMS.items():
        out.append((system, "public"))
        out += [(b, "public") for b in branches]
    out += [(f"{t} College Library", "academic") for t in TOWNS[:8]]
    out += [("University of Wyoming Libraries", "academic"), ("Wyoming State Library", "state"),
            ("Wyoming State Law Library", "special"), ("Wind River Tribal College Library", "tribal")]
    out += [(f"{c} County School District #{n}", "school") for c in COUNTIES[:10] for n in (1, 2)]
    out += [(f"{t} Memorial Hospital Library", "special") for t in TOWNS[:5]]
    # People misspell their own library's name; these should be caught as "possibly the same".
    out += [("Cambell County Library", "public"), ("Natrona Cnty Library", "public"),
            ("Sweetwater Count Library", "public")]
    rng.shuffle(out)
    return out


def _text(rng: random.Random, leads: list[str], extra: str = "") -> str:
    topics = rng.sample(TOPICS, rng.randint(2, 5))
    return f"{rng.choice(leads)} {', '.join(topics)}.{extra}"


def _record(rng: random.Random, role: str, n: int, employers: list[tuple[str, str]]) -> dict:
    library, kind = rng.choice(employers)
    if rng.random() < 0.5:
        # Mostly, a person's type follows their library; sometimes it was typed differently.
        kind = kind if rng.random() < 0.9 else rng.choice(TYPES)
    level = rng.choices([0, 1, 2, 3], weights=[4, 3, 2, 1] if role == "protege" else [2, 3, 3, 2])[0]
    record = {
        "role": role, "name": f"{role.title()} {n:04d}", "email": f"{role}{n:04d}@example.org",
        "library_name": library, "position": rng.choice(POSITIONS[level]), "library_type": kind,
        "protege_categories": [], "mentor_categories": [], "goals": None, "strengths": None,
    }
    if role == "protege":
        cats = rng.sample(["new_to_wyoming", "new_to_library", "emerging_leader", "newly_promoted"],
                          rng.randint(0, 2))
        record["protege_categories"] = cats
        record["goals"] = _text(rng, GOAL_LEADS)
    else:
        extra = ""
        if rng.random() < 0.6:
            extra = f" {rng.randint(1, 30)} years in Wyoming libraries."
        if rng.random() < 0.3:
            extra += " Long-time WYLD consortium member."
        record["mentor_categories"] = rng.sample(["experienced_staff", "mls_librarian"], rng.randint(0, 1))
        record["strengths"] = _text(rng, STRENGTH_LEADS, extra)
    return record


def make_people(n_proteges: int, n_mentors: int, seed: int = SEED):
    """The benchmark's protégés, mentors, settings, past pairs and active counts, from one seed."""
    rng = random.Random(seed)
    employers = _employers(rng)
    proteges = []
    for n in range(n_proteges):
        rec = _record(rng, "protege", n, employers)
        applied = NOW - timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 1440))
        proteges.append(Candidate(id=n, email=rec["email"], record=rec, applied_at=applied))
    mentors = []
    for n in range(n_mentors):
        rec = _record(rng, "mentor", n, employers)
        mentors.append(Candidate(id=100000 + n, email=rec["email"], record=rec,
                                 applied_at=NOW - timedelta(days=rng.randint(0, 900))))
    settings = MatchingSettings(
        library_systems=SYSTEMS,
        capacities={m.email: rng.choice([1, 2, 3]) for m in mentors if rng.random() < 0.4},
        level_overrides={p.email: 1 for p in proteges[:10]},
    )
    past = {(rng.choice(proteges).email, rng.choice(mentors).email) for _ in range(300)}
    # About half the mentors already have protégés, so there are fewer free places than protégés.
    active = {m.email: rng.randint(1, 2) for m in mentors if rng.random() < 0.5}
    return proteges, mentors, settings, past, active


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proteges", type=int, default=1000)
    parser.add_argument("--mentors", type=int, default=1000)
    args = parser.parse_args(argv)
    proteges, mentors, settings, past, active = make_people(args.proteges, args.mentors)
    runs, results = [], []
    for _ in range(2):
        start = time.perf_counter()
        result = suggest_matches(proteges, mentors, settings=settings, now=NOW, past_pairs=past,
                                 active_counts=active)
        runs.append(time.perf_counter() - start)
        results.append(json.dumps(result.to_json(), sort_keys=True))
    identical = results[0] == results[1]
    last = json.loads(results[1])
    summary = {
        "proteges": args.proteges, "mentors": args.mentors,
        "seconds": [round(s, 3) for s in runs], "identical": identical,
        "suggested": len(last["suggestions"]), "unmatched": len(last["unmatched"]),
        "under_limit": max(runs) < LIMIT_SECONDS,
    }
    print(json.dumps(summary))
    print(f"{args.proteges} protégés x {args.mentors} mentors: {runs[0]:.2f} s and {runs[1]:.2f} s "
          f"(limit {LIMIT_SECONDS:.0f} s); {summary['suggested']} suggested, "
          f"{summary['unmatched']} unmatched; "
          f"the two runs were {'identical' if identical else 'DIFFERENT'}.")
    return 0 if identical and summary["under_limit"] else 1


if __name__ == "__main__":
    sys.exit(main())
