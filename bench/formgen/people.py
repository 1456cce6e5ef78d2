"""Invented applicants: what each writes in each blank, and the record a careful coordinator makes of it.

Written from the program's form and the record contract alone. Everything
is fictional (names, streets, 307-555-01xx phones, mail domains ending in
.example or example.org); towns, counties and libraries are real Wyoming
places. `Applicant.written` holds the text typed into each blank (None
for a blank left empty), `Applicant.record` the contract's record.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

FIRST = ["Margo", "Desmond", "Lucinda", "Britt", "Cora", "Noëlle", "Zoë", "José", "Siobhán", "Renée", "Inés",
         "Björn", "Chloé", "Joaquín", "Anneliese", "Darnell", "Priya", "Tomasz", "Wren", "Hollis", "Marisol",
         "Kenji", "Aurelia", "Teodoro", "Delphine", "Garrett", "Yolanda", "Emeka", "Rosalind", "Casimir",
         "Beatriz", "Ezra", "Harriet", "Leland", "Mei", "Orrin", "Paloma", "Quentin", "Sunniva", "Thaddeus",
         "Ursula", "Vaughn", "Winona", "Xavier", "Ysolde", "Zeke", "Ada", "Bram", "Calla", "Dov", "Ingrid",
         "Jules", "Kit", "Lark", "Mack", "Nell", "Opal", "Pete", "Rue", "Sage", "Tate", "Vera", "Wade", "Lou"]
LAST = ["Tillman", "Achterberg", "Feather", "Haugen", "Blackwood", "Brisbois", "Ruiz", "Ostby", "Ng",
        "O’Rourke", "O'Malley", "Castellanos", "Dunmore", "Eckhardt", "Fairweather", "Goodrich", "Hollingsworth",
        "Iverson", "Jankowski", "Kowalczyk", "Lindqvist", "McAllister", "Nakamura", "Okonkwo", "Pettibone",
        "Quintana", "Rasmussen", "Sandoval", "Thistlewood", "Underhill", "Vandermeer", "Whitehorse",
        "Yellowtail", "Zamora", "Two Eagles", "St. Clair", "van der Berg", "Abernathy", "Bañuelos", "Duchesne",
        "Ferreira-Lopez", "Gallagher", "Hart", "Ito", "Lee", "Moss", "Park", "Reyes", "Shaw", "Stone", "Young"]
SUP_TITLES = ["Library Director", "Director", "Assistant Director", "Branch Manager", "Dean of Libraries",
              "Principal", "Head of Public Services", "County Librarian", "State Librarian", "Department Head",
              "Library Manager", "Associate Dean"]
STREETS = ["Capitol Ave", "Saddle Horn Dr", "Meadowlark Ln", "Pronghorn St", "E 19th St", "Bighorn Ave",
           "Sage Brush Rd", "N Main St", "S 4th St", "Crazy Woman Dr", "Elk Trail", "Cottonwood Cir",
           "W Pershing Blvd", "Grand Ave", "Snow King Ave", "Yellowstone Hwy", "Warren Ave", "Coffeen Ave",
           "Lincolnway", "Big Horn Ave", "Wapiti Trail", "Absaroka St", "Sunset Dr", "Prairie Rose Ct",
           "Thomes Ave", "County Road 12", "Rd 8 1/2", "Pioneer Ave", "Antelope Way", "Bitterroot Pl"]
UNITS = ["Apt 2", "Apt 4B", "#12", "Unit 3", "Apt. 210", "Suite 5", "# 7", "Lot 14"]

# (town, zip prefix) for real Wyoming towns; the zip's last digits are invented.
TOWNS = [("Cheyenne", "820"), ("Casper", "826"), ("Laramie", "820"), ("Gillette", "827"),
         ("Rock Springs", "829"), ("Sheridan", "828"), ("Green River", "829"), ("Evanston", "829"),
         ("Riverton", "825"), ("Jackson", "830"), ("Cody", "824"), ("Rawlins", "823"), ("Lander", "825"),
         ("Torrington", "822"), ("Douglas", "826"), ("Powell", "824"), ("Worland", "824"), ("Buffalo", "828"),
         ("Wheatland", "822"), ("Newcastle", "827"), ("Thermopolis", "824"), ("Kemmerer", "831"),
         ("Glenrock", "826"), ("Lovell", "824"), ("Lusk", "822"), ("Pinedale", "829"), ("Sundance", "827"),
         ("Afton", "831"), ("Mills", "826"), ("Saratoga", "823"), ("Greybull", "824"), ("Star Valley Ranch", "831"),
         ("Lyman", "829"), ("Bar Nunn", "826"), ("Moorcroft", "827"), ("Upton", "827"), ("Hulett", "827"),
         ("Dubois", "825"), ("Shoshoni", "826"), ("Ten Sleep", "824"), ("Basin", "824"), ("Cokeville", "831"),
         ("Guernsey", "822"), ("Medicine Bow", "823"), ("Hanna", "823"), ("Baggs", "823"), ("Big Piney", "831"),
         ("Alpine", "831"), ("Wright", "827"), ("Pine Bluffs", "820"), ("Fort Washakie", "825"),
         ("Meeteetse", "824"), ("Kaycee", "826"), ("Encampment", "823"), ("Chugwater", "822"),
         ("Ranchester", "828"), ("Wilson", "830"), ("Mountain View", "829"), ("Evansville", "826"),
         ("La Barge", "831"), ("Midwest", "826"), ("Fort Laramie", "822"), ("Ethete", "825")]
# Some staff of Wyoming libraries live over a state line.
AWAY = [("Billings", "MT", "591"), ("Fort Collins", "CO", "805"), ("Rapid City", "SD", "577"),
        ("Scottsbluff", "NE", "693"), ("Idaho Falls", "ID", "834"), ("Vernal", "UT", "840")]
STATE_SPELLINGS = {"WY": ["WY", "WY", "WY", "Wyoming", "Wyo.", "wy", "Wyo", "WYOMING"],
                   "MT": ["MT", "Montana", "Mont."], "CO": ["CO", "Colorado", "Colo."], "SD": ["SD", "South Dakota"],
                   "NE": ["NE", "Nebraska", "Neb."], "ID": ["ID", "Idaho"], "UT": ["UT", "Utah"]}

# (library, what its staff write under Library Type, the contract's type, mail domain)
LIBRARIES = [
    ("Laramie County Library System", ["Public", "Public library", "County library", "public"], "public", "lclsonline"),
    ("Natrona County Library", ["Public", "County public library", "Public - county"], "public",
     "natronacountylibrary"),
    ("Albany County Public Library", ["Public", "Public Library", "county"], "public", "acplwy"),
    ("Campbell County Public Library", ["Public", "Public (county system)"], "public", "ccpls"),
    ("Sweetwater County Library System", ["Public", "County Library System"], "public", "sweetwaterlibraries"),
    ("Sheridan County Fulmer Public Library", ["Public", "City/County public"], "public", "sheridanwyolibrary"),
    ("Park County Library System", ["Public", "County library"], "public", "parkcountylibrary"),
    ("Fremont County Library System", ["Public", "Public library (branch)"], "public", "fclsonline"),
    ("Teton County Library", ["Public", "public library"], "public", "tclib"),
    ("Carbon County Library System", ["Public", "Rural county library"], "public", "carbonlibraries"),
    ("Crook County Library", ["Public", "County"], "public", "crookcountylibrary"),
    ("Hot Springs County Library", ["Public"], "public", "hotspringscountylibrary"),
    ("Goshen County Library", ["Public library"], "public", "goshenlibrary"),
    ("Sublette County Library", ["Public"], "public", "sublettecountylibrary"),
    ("Uinta County Library", ["Public", "County library"], "public", "uintalibrary"),
    ("Weston County Library", ["Public"], "public", "westonlibraries"),
    ("Big Horn County Library", ["Public", "County library"], "public", "bighorncountylibrary"),
    ("Converse County Library", ["Public"], "public", "conversecountylibrary"),
    ("Johnson County Library", ["Public"], "public", "jclwyo"),
    ("Lincoln County Library", ["Public"], "public", "linclib"),
    ("University of Wyoming Libraries", ["Academic", "University", "Academic library", "University library"],
     "academic", "uwyo"),
    ("Casper College Goodstein Foundation Library", ["Academic", "Community college"], "academic", "caspercollege"),
    ("Laramie County Community College Ludden Library", ["Community college", "Academic"], "academic", "lccc"),
    ("Western Wyoming Community College Hay Library", ["Academic", "Community College"], "academic",
     "westernwyoming"),
    ("Northwest College Hinckley Library", ["Academic", "College library"], "academic", "nwc"),
    ("Central Wyoming College Library", ["Academic", "Community college library"], "academic", "cwc"),
    ("Sheridan College Griffith Memorial Library", ["Academic", "College"], "academic", "sheridan"),
    ("Eastern Wyoming College Library", ["Academic (community college)"], "academic", "ewc"),
    ("Wyoming State Library", ["State", "State library", "State agency"], "state", "wyo.gov"),
    ("Wyoming State Law Library", ["Special", "Law library"], "special", "courts.state.wy"),
    ("Cheyenne Regional Medical Center Library", ["Special", "Hospital/medical", "Medical library"], "special",
     "crmcwy"),
    ("Buffalo Bill Center of the West McCracken Research Library", ["Special", "Museum library"], "special",
     "centerofthewest"),
    ("American Heritage Center", ["Special", "Archives"], "special", "ahc-uwyo"),
    ("Cheyenne East High School Library", ["School", "High school", "K-12"], "school", "laramie1"),
    ("Kelly Walsh High School Library", ["School", "High school library"], "school", "natronaschools"),
    ("Rock Springs Junior High Library", ["School", "K-12", "School library"], "school", "sweetwater1"),
    ("Jackson Hole Middle School Library", ["School", "Middle school library"], "school", "tcsd"),
    ("Pinedale Elementary School Library", ["School", "Elementary school"], "school", "sublette1"),
    ("Wind River Tribal Library", ["Tribal", "Tribal library"], "tribal", "windriver"),
    ("Wyoming Department of Corrections Library", ["Other"], "other", "wdoc"),
]
POSITIONS = {
    "protege": ["Library Assistant", "Circulation Clerk", "Children’s Librarian", "Teen Services Coordinator",
                "Branch Assistant", "Library Clerk", "Library Technician", "Reference Librarian",
                "Interlibrary Loan Specialist", "Outreach Coordinator", "Cataloger", "Adult Services Librarian",
                "Teacher Librarian", "Media Specialist", "Evening Circulation Supervisor", "Branch Manager",
                "Archives Technician", "Instruction Librarian", "Youth Services Librarian", "Library Aide"],
    "mentor": ["Library Director", "Assistant Director", "Branch Manager", "Head of Technical Services",
               "County Librarian", "Dean of Libraries", "Systems Librarian", "Head of Access Services",
               "Collection Development Librarian", "Deputy State Librarian", "Senior Reference Librarian",
               "Teacher Librarian", "Library Supervisor", "Director of Library Services", "Archivist"],
}
GOALS = [
    "I was recently promoted to run our branch on Saturdays and want to grow into a leadership role.",
    "I would like help with planning programs for adults and with public speaking.",
    "I moved here from Ohio last spring and would like to learn how Wyoming libraries work together.",
    "I want to understand library budgets, especially how the county funding cycle works.",
    "Supervising former peers has been harder than I expected; I'd like advice on setting expectations.",
    "I finished my MLS in December and am looking for guidance on where to take my career.",
    "Grant writing is new to me, and our library needs to apply for an LSTA grant this year.",
    "I'd like to get better at working with our board and presenting to the county commissioners.",
    "Our school library has no other librarian in the district, so I have no one to ask about collection development.",
    "I hope to learn how to manage volunteers and plan a summer reading program on my own.",
    "Topics: weeding a collection, handling challenges to materials, and time management.",
    "I want a mentor who has led a small rural library through a building project.",
    "I am interested in outreach to ranch families who live far from town.",
    "Help with staff scheduling and difficult conversations would be most useful.",
    "I'd like to learn more about cataloging standards and our shared catalog.",
    "Long term I would like to become a library director, and I want to know what to learn first.",
]
STRENGTHS = [
    "Twenty-two years in academic libraries, nine as director here.",
    "I enjoy coaching new managers and have supervised staff for fifteen years.",
    "Eleven years running a one-person branch: collection, programs, budget and volunteers.",
    "I have written and managed several LSTA grants and served on the WLA board.",
    "My background is in cataloging and technical services; I also led our migration to a new ILS.",
    "I was a school librarian for twelve years before moving to public libraries.",
    "Happy to help anyone who is new to working on their own in a small town.",
    "I have mentored student workers and two new librarians informally and would like to do it properly.",
    "Experience with building projects, bond elections and working with county commissioners.",
    "Positions held: circulation clerk, children's librarian, branch manager, assistant director.",
    "I know the statewide catalog and interlibrary loan inside out.",
    "I am a good listener and remember what it was like to be new to Wyoming.",
    "Eighteen years in Wyoming libraries, the last six as director of a county system.",
    "Strengths: budgeting, strategic planning, staff development and outreach.",
]
EMPTY_WORDS = ["N/A", "n/a", "NA", "none", "None", "-", "--", "—", "n/a.", "Not applicable"]


@dataclass
class Applicant:
    """One invented applicant: the contract's record and the words written in each blank."""

    record: dict
    written: dict[str, str | None]
    first: str
    last: str
    # Paragraphs of the free-text answer, as the applicant split them.
    paragraphs: list[str] = field(default_factory=list)
    support_yes: bool = False
    sender: str = ""
    organisation_phone: str = ""
    # What stands in each blank of the printed form (the written values, some blanks filled as one).
    blanks: dict[str, str | None] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.record["role"]


def _zip(rng: random.Random, prefix: str) -> tuple[str, str]:
    five = prefix + f"{rng.randrange(100):02d}"
    if rng.random() < 0.2:
        four = f"{rng.randrange(10000):04d}"
        return rng.choice([f"{five}-{four}", f"{five}-{four}", f"{five} {four}", f"{five}{four}"]), f"{five}-{four}"
    return five, five


def _phone(rng: random.Random) -> str:
    n = rng.randrange(100, 200)
    shapes = ["307-555-{n:04d}", "(307) 555-{n:04d}", "307.555.{n:04d}", "307 555 {n:04d}", "+1 307 555 {n:04d}",
              "(307)555-{n:04d}", "307-555-{n:04d} ext. 2{e}", "307-555-{n:04d} x2{e}", "1-307-555-{n:04d}",
              "307555{n:04d}", "307-555-{n:04d} (cell)", "307/555-{n:04d}", "307–555–{n:04d}",
              "+1-307-555-{n:04d}", "(307)555 {n:04d}", "307.555.{n:04d} (work)", "cell 307-555-{n:04d}",
              "307 555-{n:04d}", "(307) 555-{n:04d}, ext 1{e}"]
    weights = [6, 4, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    return rng.choices(shapes, weights)[0].format(n=n, e=rng.randrange(10, 99))


def _email(rng: random.Random, first: str, last: str, domain: str) -> str:
    def plain(s: str) -> str:
        table = str.maketrans("ëéèáíóöñç", "eeeaioonc")
        return "".join(ch for ch in s.lower().translate(table) if ch.isalnum())

    local = rng.choice([f"{plain(first)}.{plain(last)}", f"{plain(first)[0]}{plain(last)}", f"{plain(first)}"
                        f"{rng.randrange(10, 99)}", f"{plain(last)}.{plain(first)[0]}"])
    host = rng.choice([f"{domain}.example", f"{domain}.example", "example.org", "example.net", "mail.example"])
    out = f"{local}@{host}"
    return out if rng.random() < 0.85 else out.title() if rng.random() < 0.5 else out.upper()


def _sentences(rng: random.Random, bank: list[str]) -> list[str]:
    picked = rng.sample(bank, rng.randint(1, 4))
    if len(picked) > 2 and rng.random() < 0.4:
        return [" ".join(picked[:2]), " ".join(picked[2:])]
    return [" ".join(picked)]


def make_applicant(rng: random.Random) -> Applicant:
    """A random applicant, with some blanks left empty or written as N/A."""
    role = rng.choice(["protege", "mentor"])
    first, last = rng.choice(FIRST), rng.choice(LAST)
    name = rng.choices([f"{first} {last}", f"{first} {rng.choice('ABCDEFGHJKLMRSTW')}. {last}",
                        f"{first} {last}-{rng.choice(LAST).replace(' ', '')}"], [8, 2, 1])[0]
    library, type_words, kind, domain = rng.choice(LIBRARIES)
    if rng.random() < 0.06:
        town, state_code, prefix = rng.choice(AWAY)
    else:
        (town, prefix), state_code = rng.choice(TOWNS), "WY"
    street = f"{rng.randrange(1, 9999)} {rng.choice(STREETS)}"
    if rng.random() < 0.12:
        street = f"PO Box {rng.randrange(10, 2999)}"
    elif rng.random() < 0.15:
        street = rng.choice([f"{street}, {rng.choice(UNITS)}", f"{street} {rng.choice(UNITS)}"])
    zip_written, zip_normal = _zip(rng, prefix)
    written: dict[str, str | None] = {
        "name": name, "phone": _phone(rng), "address": street, "city": town,
        "state": rng.choice(STATE_SPELLINGS[state_code]), "zip": zip_written,
        "email": _email(rng, first, last, domain), "library_name": library,
        "position": rng.choice(POSITIONS[role]), "library_type": rng.choice(type_words),
    }
    record = {"role": role, "name": name, "phone": written["phone"], "address": street, "city": town,
              "state": state_code, "zip": zip_normal, "email": written["email"].lower(), "library_name": library,
              "position": written["position"], "library_type": kind, "supervisor_support": None,
              "supervisor_name": None, "supervisor_email": None, "protege_categories": [], "mentor_categories": [],
              "goals": None, "strengths": None}
    support = rng.random() < 0.7
    if support:
        sup_first, sup_last = rng.choice(FIRST), rng.choice(LAST)
        title = rng.choice(SUP_TITLES)
        sup_name = rng.choice([f"{sup_first} {sup_last}, {title}", f"{sup_first} {sup_last} ({title})",
                               f"{sup_first} {sup_last} - {title}", f"{sup_first} {sup_last} / {title}",
                               f"{sup_first} {sup_last}"])
        written["supervisor_name"] = sup_name
        record.update(supervisor_support=True, supervisor_name=sup_name)
        if rng.random() < 0.92:
            sup_email = _email(rng, sup_first, sup_last, domain)
            written["supervisor_email"] = sup_email
            record["supervisor_email"] = sup_email.lower()
        else:
            written["supervisor_email"] = None
    else:
        written["supervisor_name"] = written["supervisor_email"] = None
    options = (["new_to_wyoming", "new_to_library", "new_supervisor", "new_mls", "newly_promoted", "emerging_leader",
                "new_director"] if role == "protege" else
               ["experienced_staff", "mls_librarian", "library_director", "library_supervisor"])
    count = rng.choices([0, 1, 2, 3], [1, 8, 6, 3])[0]
    record["protege_categories" if role == "protege" else "mentor_categories"] = sorted(rng.sample(options, count))
    paragraphs = _sentences(rng, GOALS if role == "protege" else STRENGTHS)
    record["goals" if role == "protege" else "strengths"] = " ".join(paragraphs)
    # Blanks people leave empty, or fill with "N/A".
    for key, chance in (("address", 0.05), ("zip", 0.04), ("position", 0.02), ("library_type", 0.04),
                        ("phone", 0.02)):
        if rng.random() < chance:
            written[key] = rng.choice([None, None, rng.choice(EMPTY_WORDS)])
            record[key] = None
    if support and written["supervisor_email"] is None and rng.random() < 0.5:
        written["supervisor_email"] = rng.choice(EMPTY_WORDS)
    applicant = Applicant(record, written, first, last, paragraphs, support_yes=support)
    applicant.sender = record["email"] if rng.random() < 0.85 else _email(rng, first, last, "gmail")
    applicant.organisation_phone = f"307-555-{rng.randrange(200, 300):04d}"
    applicant.blanks = dict(written)
    if rng.random() < 0.14 and written["address"] == street and written["city"]:
        _write_together(rng, applicant)
    # The supervisor's address written in the name blank, the email blank left empty.
    if support and record["supervisor_email"] and rng.random() < 0.06:
        applicant.blanks["supervisor_name"] = f"{written['supervisor_name']}{rng.choice([', ', ' - ', ' '])}" \
                                              f"{written['supervisor_email']}"
        applicant.blanks["supervisor_email"] = None
    return applicant


def _write_together(rng: random.Random, a: Applicant) -> None:
    """Two or more blanks filled as one: the place in the Address blank, or "City, ST ZIP" in City."""
    w, b = a.written, a.blanks
    state = w["state"]
    code = w["zip"] if w["zip"] and w["zip"][:1].isdigit() else None
    # Without a comma only a town a reader could know keeps the two apart.
    style = rng.choice([0, 1, 2, 3, 4, 5] if state and state.upper().startswith("W") else [0, 2, 3, 4, 5])
    if style == 5:
        b["city"] = f"{w['city']}, {state} {code or ''}".strip()
        b["state"] = b["zip"] = None
        return
    place = [f"{w['address']}, {w['city']}", f"{w['address']} {w['city']}",
             f"{w['address']}, {w['city']}, {state} {code or ''}".strip(),
             f"{w['address']}, {w['city']} {state}",
             f"{w['address']}\n{w['city']}, {state} {code or ''}".strip()][style]
    b["address"], b["city"] = place, None
    if style in (2, 3, 4):
        b["state"] = None
    if style in (2, 4):
        b["zip"] = None
