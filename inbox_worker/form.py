"""The program's application form, defined once.

Everything that reads a form (the extractors) and everything that writes one
(`inbox-worker form`, the blank form attached to acknowledgements) takes its
labels, options and wording from here, so the two can never drift apart.
The wording follows the program document (`mentoring-program.txt`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

PROGRAM_INBOX = "leadwyoming20@gmail.com"

TITLE = "Wyoming Library Association\u2019s Mentoring Program Application"
OPEN_TO = (
    "The WLA Mentoring Program is open to any Wyoming library staff member that desires to improve "
    "their effectiveness and impact."
)
APPLICANT_INFORMATION = "Applicant Information:"
SKIP_NOTE = (
    "*If supervisor permission is not required, please skip the following question. WLA and L.E.A.D. "
    "acknowledge that depending on your work schedule, participating in this program could impact your "
    "workday. You are encouraged to visit with your supervisor prior to submitting an application as "
    "appropriate or if required by your organization\u2019s policy. But if it not required, this question "
    "does not need to be filled out."
)
SUPERVISOR_QUESTION = (
    "The applicant has secured the support of his/her direct supervisor, if needed, for participation "
    "in this program?"
)
IF_YES = "If you answered Yes, please provide the following:"
ROLE_QUESTION = "Position you are applying for:"
PROTEGE_HEADING = "Prot\u00e9g\u00e9s (Check all that apply):"
MENTOR_HEADING = "Mentors (Check all that apply):"
GOALS_QUESTION = (
    "Prot\u00e9g\u00e9 applicants: Please write specific goals, problems, or topics you would like addressed "
    "through this program. Include any information you feel would be helpful in finding the best mentor match."
)
STRENGTHS_QUESTION = (
    "Mentor applicants: Please write strengths, expertise, years of experience, positions held in the "
    "library, and/or anything else you feel supports your desire to be a mentor."
)
SUBMIT = "Submit this form via email to:"


@dataclass(frozen=True)
class TextField:
    """A blank on the form that takes a line of text.

    `label` is the form's printed label; `aliases` are other words people
    use for it when they type "Label: value" lines of their own.
    """

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    multiline: bool = False


@dataclass(frozen=True)
class Option:
    """One box in a list of options: its record value and its printed text."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Choice:
    """A list of boxes under one heading: pick one (role) or all that apply."""

    key: str
    heading: str
    options: tuple[Option, ...]
    multiple: bool = True
    aliases: tuple[str, ...] = field(default=())


# The order is the order of the printed form, row by row.
TEXT_FIELDS: tuple[TextField, ...] = (
    TextField("name", "Name", ("full name", "applicant name", "your name", "applicant")),
    TextField("phone", "Phone #", ("phone", "phone number", "telephone", "tel", "cell", "work phone", "phone no")),
    TextField("address", "Address", ("street address", "mailing address", "street", "home address")),
    TextField("city", "City", ("town", "city/town")),
    TextField("state", "State", ("st",)),
    TextField("zip", "Zip Code", ("zip", "zipcode", "postal code", "zip code", "zip/postal code")),
    TextField("email", "Email Address", ("email", "e-mail", "e-mail address", "email address", "your email")),
    TextField("library_name", "Library Name", ("library", "name of library", "institution", "employer",
                                                "organization", "library/organization")),
    TextField("position", "Your current position", ("current position", "position", "job title", "title",
                                                     "role at library", "job", "position/title")),
    TextField("library_type", "Library Type", ("type of library", "library type", "type", "kind of library")),
    TextField("supervisor_name", "Supervisor Name/Position", ("supervisor", "supervisor name", "supervisor's name",
                                                              "supervisor name and position", "direct supervisor")),
    TextField("supervisor_email", "Supervisor email", ("supervisor e-mail", "supervisor's email",
                                                       "supervisor email address", "supervisor's e-mail")),
    TextField("goals", GOALS_QUESTION, ("goals", "goals, problems, or topics", "goals/topics", "my goals",
                                        "protégé goals", "protégé goals, problems, or topics",
                                        "goals, problems, topics", "goals and topics", "what i hope to gain",
                                        "what i hope to learn", "what i hope to get out of the program",
                                        "what i hope to get out of this"), multiline=True),
    TextField("strengths", STRENGTHS_QUESTION, ("strengths", "strengths/expertise", "expertise", "experience",
                                                "mentor strengths", "mentor strengths, expertise, experience",
                                                "strengths, expertise, experience",
                                                "strengths and experience", "strengths and expertise",
                                                "why i would be a good mentor", "why i'd be a good mentor",
                                                "why i want to be a mentor"),
              multiline=True),
)
TEXT_FIELD_BY_KEY = {f.key: f for f in TEXT_FIELDS}

# The printed form sets these blanks side by side on one line, labels beneath.
FORM_ROWS: tuple[tuple[str, ...], ...] = (
    ("name", "phone"),
    ("address", "city", "state", "zip"),
    ("email", "library_name"),
    ("position", "library_type"),
)
SUPERVISOR_ROW: tuple[str, ...] = ("supervisor_name", "supervisor_email")

ROLE = Choice(
    "role",
    ROLE_QUESTION,
    (
        Option("protege", "Prot\u00e9g\u00e9", ("protege", "mentee")),
        Option("mentor", "Mentor", ()),
    ),
    multiple=False,
    aliases=("applying as", "applying for", "position applying for", "role", "i am applying as", "applying to be",
             "applying to be a", "applying as a", "i am applying to be a", "apply as"),
)
PROTEGE_CATEGORIES = Choice(
    "protege_categories",
    PROTEGE_HEADING,
    (
        Option("new_to_wyoming", "New to Wyoming", ("new to the state", "new to wy")),
        Option("new_to_library", "New to working at a library",
               ("new to working in a library", "new to library work", "new to libraries",
                "new to working at libraries")),
        Option("new_supervisor", "New library supervisor (branch manager, department head, etc.)"),
        Option("new_mls", "New MLS degreed individual",
               ("new MLS", "new MLS graduate", "recent MLS graduate", "new MLIS degreed individual",
                "new MLIS")),
        Option("newly_promoted", "Newly promoted library staff", ("newly promoted", "recently promoted")),
        Option("emerging_leader", "Emerging library leader", ("emerging leader",)),
        Option("new_director", "New Library Director", ("new director",)),
    ),
)
MENTOR_CATEGORIES = Choice(
    "mentor_categories",
    MENTOR_HEADING,
    (
        Option("experienced_staff", "Experienced library staff, regardless of position",
               ("experienced staff",)),
        Option("mls_librarian", "MLS librarian", ("MLIS librarian",)),
        Option("library_director", "Library Director"),
        Option("library_supervisor", "Library supervisor"),
    ),
)
CHOICES: tuple[Choice, ...] = (ROLE, PROTEGE_CATEGORIES, MENTOR_CATEGORIES)

LIBRARY_TYPES: tuple[str, ...] = ("public", "academic", "school", "special", "state", "tribal", "other")

# The record's keys, in the order of the contract (application-record.md).
RECORD_KEYS: tuple[str, ...] = (
    "role", "name", "phone", "address", "city", "state", "zip", "email", "library_name", "position",
    "library_type", "supervisor_support", "supervisor_name", "supervisor_email", "protege_categories",
    "mentor_categories", "goals", "strengths",
)
LIST_KEYS = ("protege_categories", "mentor_categories")

# Fields an application needs before a coordinator can act on it; the
# acknowledgement asks for whichever of these is missing.
REQUIRED_KEYS: tuple[str, ...] = (
    "role", "name", "phone", "email", "library_name", "position", "library_type", "city", "state",
)


def field_label(key: str) -> str:
    """A short human label for a record key, for emails and the CLI."""
    short = {
        "role": "Position you are applying for (protégé or mentor)",
        "phone": "Phone number",
        "zip": "Zip code",
        "email": "Email address",
        "supervisor_support": "Supervisor support",
        "protege_categories": "Protégé categories",
        "mentor_categories": "Mentor categories",
        "goals": "Goals, problems or topics (protégés)",
        "strengths": "Strengths and experience (mentors)",
    }
    if key in short:
        return short[key]
    return TEXT_FIELD_BY_KEY[key].label
