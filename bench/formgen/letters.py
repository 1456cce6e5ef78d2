"""Applications written as letters, and messages that are no application at all.

A letter says in its own words which role the writer wants and gives some
of the details; the expected record holds what the letter says and leaves
the rest empty, as a coordinator reading it would. Letters that do not
decide between the roles expect no role.
"""
from __future__ import annotations

import random

from formgen.people import Applicant

ROLE_SENTENCES = {
    "mentor": ["I would like to be a mentor in this year's WLA Mentoring Program.",
               "I am writing to apply as a mentor for the mentoring program.",
               "Please accept this email as my application to serve as a mentor.",
               "I'd like to volunteer as a mentor this year.",
               "I am interested in being a mentor in the L.E.A.D. mentoring program.",
               "Count me in as a mentor for the coming year.",
               "I would be glad to mentor a newer librarian through the WLA program."],
    "protege": ["I would like to apply as a protégé in the WLA Mentoring Program.",
                "I am writing to apply to the mentoring program as a protege.",
                "I'd like to be paired with a mentor through the WLA program this year.",
                "Please consider me for the mentoring program as a mentee.",
                "I am hoping to be matched with a mentor this year, and this email is my application.",
                "I am applying to be a protégé in the mentoring program.",
                "I would love to take part as a protege this year."],
}
# What some answers state of the writer, as a coordinator reading the letter would tick it on the form.
STATED = {
    "I was recently promoted to run our branch on Saturdays and want to grow into a leadership role.":
        {"protege_categories": "newly_promoted"},
    "I moved here from Ohio last spring and would like to learn how Wyoming libraries work together.":
        {"protege_categories": "new_to_wyoming"},
    "I finished my MLS in December and am looking for guidance on where to take my career.":
        {"protege_categories": "new_mls"},
    "Our school library has no other librarian in the district, so I have no one to ask about collection development.":
        {"library_type": "school"},
    "Twenty-two years in academic libraries, nine as director here.": {"mentor_categories": "library_director"},
    "Eighteen years in Wyoming libraries, the last six as director of a county system.":
        {"mentor_categories": "library_director"},
}
# A mentor who says they hold one of these positions states that category of the form.
POSITION_CATEGORY = {"Library Director": "library_director", "Director of Library Services": "library_director",
                     "Library Supervisor": "library_supervisor"}
UNDECIDED = ["I would be glad to take part as either a mentor or a protégé, whichever you need more.",
             "I'm applying to the mentoring program and could be a mentor or a mentee."]


def _intro(a: Applicant, rng: random.Random) -> tuple[str, bool]:
    """A sentence naming the writer's position and library, and whether it was written."""
    position, library = a.written.get("position"), a.record["library_name"]
    if not position or rng.random() < 0.25:
        return "", False
    article = "an" if position[0].lower() in "aeiou" else "a"
    return rng.choice([f"I am the {position} at {library}.", f"I work as {article} {position} at {library}.",
                       f"I currently serve as {position} for {library}.",
                       f"For the past few years I have been the {position} at the {library}.",
                       f"I'm {article} {position} with the {library}.",
                       f"I have worked at the {library} as {article} {position} for five years.",
                       f"Currently I am the {position} at {library}."]), True


def letter(a: Applicant, rng: random.Random) -> tuple[str, dict]:
    """A letter of application and the record it gives."""
    r = a.record
    expected = {k: None for k in r}
    expected.update(protege_categories=[], mentor_categories=[], name=r["name"])
    undecided = rng.random() < 0.06
    role_sentence = rng.choice(UNDECIDED if undecided else ROLE_SENTENCES[a.role])
    expected["role"] = None if undecided else a.role
    intro, said = _intro(a, rng)
    paragraphs = [rng.choice(["Dear Mentoring Coordinators,", "Hello,", "Hi LEAD committee,",
                              "To the WLA Mentoring Committee:", "Dear Jolene,"])]
    paragraphs.append(f"{role_sentence} {intro}".strip())
    key = "goals" if a.role == "protege" else "strengths"
    paragraphs += a.paragraphs
    # A letter that leaves the role open leaves open whether its words are goals or strengths.
    expected[key] = None if undecided else " ".join(a.paragraphs)
    if a.support_yes and rng.random() < 0.7:
        sup = a.written["supervisor_name"]
        sup_mail = a.written.get("supervisor_email")
        mail = f" ({sup_mail})" if sup_mail and "@" in sup_mail and rng.random() < 0.7 else ""
        paragraphs.append(rng.choice([f"My supervisor is {sup}{mail}, and she supports my participation.",
                                      f"My supervisor, {sup}{mail}, has approved my participation.",
                                      f"My director, {sup}{mail}, is supportive and has signed off on this."]))
        expected.update(supervisor_support=True, supervisor_name=sup,
                        supervisor_email=sup_mail.lower() if mail else None)
    contact = []
    phone = a.written.get("phone") if a.record["phone"] else None
    if phone and rng.random() < 0.6:
        contact.append(rng.choice([f"You can reach me at {phone}", f"My phone number is {phone}",
                                   f"The best number for me is {phone}"]))
        expected["phone"] = phone
    if rng.random() < 0.5:
        contact.append(("or" if contact else "You can reach me") + f" by email at {a.written['email']}")
        expected["email"] = r["email"]
    if contact:
        paragraphs.append(" ".join(contact) + ".")
    if a.record["address"] and a.record["zip"] and rng.random() < 0.3:
        paragraphs.append(f"My mailing address is {a.written['address']}, {a.written['city']}, "
                          f"{a.written['state']} {a.written['zip']}.")
        expected.update(address=r["address"], city=r["city"], state=r["state"], zip=r["zip"])
    paragraphs.append(rng.choice(["Thank you for considering my application.", "Thank you for your time.",
                                  "I look forward to hearing from you."]))
    sign = [rng.choice(["Sincerely,", "Best regards,", "Thanks,", "Warm regards,"]), r["name"]]
    if said:
        expected.update(position=a.written["position"], library_name=r["library_name"])
    elif a.written.get("position") and rng.random() < 0.8:
        sign += [a.written["position"], r["library_name"]]
        expected.update(position=a.written["position"], library_name=r["library_name"])
    if phone and not expected["phone"] and rng.random() < 0.6:
        sign.append(phone)
        expected["phone"] = phone
    if not expected["email"] and rng.random() < 0.3:
        sign.append(a.written["email"])
        expected["email"] = r["email"]
    if not undecided:
        _stated(a, said, expected)
    text = "\n\n".join(paragraphs) + "\n\n" + "\n".join(sign) + "\n"
    return text, expected


def _stated(a: Applicant, said: bool, expected: dict) -> None:
    """The categories and the kind of library the letter's sentences state of the writer."""
    stated = [found for sentence, found in STATED.items() if any(sentence in p for p in a.paragraphs)]
    if said and a.role == "mentor" and a.written["position"] in POSITION_CATEGORY:
        stated.append({"mentor_categories": POSITION_CATEGORY[a.written["position"]]})
    for found in stated:
        for key, value in found.items():
            if key.endswith("_categories"):
                expected[key] = sorted({*expected[key], value})
            else:
                expected[key] = value


def question(a: Applicant, rng: random.Random) -> str:
    """A question to the coordinators, signed like an application would be: no application."""
    ask = rng.choice([
        "Could you tell me more about the mentoring program? I'm thinking about applying as a protégé but "
        "I'm not sure how much time it takes.",
        "Is the mentoring program open to part-time staff? I would like to be a mentor someday but I only work "
        "twenty hours a week.",
        "When is the deadline for the mentoring application? I'd like to apply as a mentor if there is still time.",
        "Can someone apply as both a mentor and a protégé? I have questions before I fill out the form.",
        "Could you send me the application form? I can't find it on the website.",
        "I would like to apply as a mentor this year. How do I get started, and is there a form?",
    ])
    sign = [a.record["name"], a.written.get("position") or "", a.record["library_name"],
            a.written.get("phone") or "", a.written["email"]]
    return "\n".join(["Hello,", "", ask, "", "Thank you,", *[s for s in sign if s]]) + "\n"


def other_message(a: Applicant, rng: random.Random) -> tuple[str, dict[str, str]]:
    """A note that is no application: thanks, a promise to apply later, an auto-reply, a supervisor's support."""
    kind = rng.randrange(4)
    name = a.record["name"]
    if kind == 0:
        return (f"Hi,\n\nI will send my mentoring application next week once my director has signed off.\n\n"
                f"Thanks,\n{name}\n{a.record['library_name']}\n{a.written.get('phone') or ''}\n"), {}
    if kind == 1:
        return (f"Thank you so much for matching me with my mentor! We had our first meeting yesterday.\n\n"
                f"{name}\n"), {}
    if kind == 2:
        return (f"I am out of the office until Monday with limited access to email. For urgent matters please "
                f"call the library at {a.organisation_phone}.\n\n{name}\n"), {"Auto-Submitted": "auto-replied"} \
            if rng.random() < 0.5 else {"X-Autoreply": "yes"}
    return (f"To the mentoring committee,\n\nI am writing in support of my staff member's application to the "
            f"mentoring program as a protégé. She has my full support.\n\n{name}\nLibrary Director\n"
            f"{a.record['library_name']}\n"), {}
