"""The application form's printed wording, copied from the program document, and what people call things.

Copied from `mentoring-program.txt` rather than imported from the package,
so the generator shares no code with the reader it measures. The other
words are how applicants reword, abbreviate or paraphrase the labels when
they type the form out themselves.
"""
from __future__ import annotations

TITLE = "Wyoming Library Association’s Mentoring Program Application"
OPEN_TO = ("The WLA Mentoring Program is open to any Wyoming library staff member that desires to improve their "
           "effectiveness and impact.")
APPLICANT_INFO = "Applicant Information:"
SKIP_NOTE = ["*If supervisor permission is not required, please skip the following question.",
             "WLA and L.E.A.D. acknowledge that depending on your work schedule,",
             "participating in this program could impact your workday.",
             "You are encouraged to visit with your supervisor prior to submitting an application",
             "as appropriate or if required by your organization’s policy.",
             "But if it not required, this question does not need to be filled out."]
SUPERVISOR_Q = ("The applicant has secured the support of his/her direct supervisor, if needed, for participation "
                "in this program?")
IF_YES = "If you answered Yes, please provide the following:"
ROLE_Q = "Position you are applying for:"
PROTEGE_HEAD = "Protégés (Check all that apply):"
MENTOR_HEAD = "Mentors (Check all that apply):"
GOALS_Q = ("Protégé applicants: Please write specific goals, problems, or topics you would like addressed through "
           "this program. Include any information you feel would be helpful in finding the best mentor match.")
STRENGTHS_Q = ("Mentor applicants: Please write strengths, expertise, years of experience, positions held in the "
               "library, and/or anything else you feel supports your desire to be a mentor.")
SUBMIT = "Submit this form via email to:"
INBOX = "leadwyoming20@gmail.com"

ROLES = [("protege", "Protégé"), ("mentor", "Mentor")]
PROTEGE_OPTIONS = [("new_to_wyoming", "New to Wyoming"), ("new_to_library", "New to working at a library"),
                   ("new_supervisor", "New library supervisor (branch manager, department head, etc.)"),
                   ("new_mls", "New MLS degreed individual"), ("newly_promoted", "Newly promoted library staff"),
                   ("emerging_leader", "Emerging library leader"), ("new_director", "New Library Director")]
MENTOR_OPTIONS = [("experienced_staff", "Experienced library staff, regardless of position"),
                  ("mls_librarian", "MLS librarian"), ("library_director", "Library Director"),
                  ("library_supervisor", "Library supervisor")]

# The printed rows: blanks side by side, labels beneath, column widths of the printed lines.
ROWS = [(("name", "Name", 55), ("phone", "Phone #", 35)),
        (("address", "Address", 40), ("city", "City", 22), ("state", "State", 10), ("zip", "Zip Code", 14)),
        (("email", "Email Address", 55), ("library_name", "Library Name", 35)),
        (("position", "Your current position", 55), ("library_type", "Library Type", 35))]
SUPERVISOR_ROW = (("supervisor_name", "Supervisor Name/Position", 55), ("supervisor_email", "Supervisor email", 35))

# What people call each blank when they type the labels themselves.
LABELS = {
    "name": ["Name", "Name", "Full name", "Applicant name", "Your name", "NAME", "Applicant"],
    "phone": ["Phone #", "Phone", "Phone number", "Telephone", "Tel.", "Cell", "Work phone", "Ph", "Phone No.",
              "Daytime phone", "Best phone", "Contact number", "Mobile"],
    "address": ["Address", "Street address", "Mailing address", "Home address", "Street", "Addr.", "Mailing addr"],
    "city": ["City", "Town", "City/Town"],
    "state": ["State", "ST"],
    "zip": ["Zip Code", "Zip", "ZIP", "Postal code", "Zipcode", "Zip code"],
    "email": ["Email Address", "Email", "E-mail", "E-mail address", "email", "Your email", "E-mail addr."],
    "library_name": ["Library Name", "Library", "Name of library", "Library/Organization", "Employer",
                     "Institution", "Lib. name", "Workplace"],
    "position": ["Your current position", "Current position", "Position", "Job title", "Title", "Position/Title",
                 "Current job"],
    "library_type": ["Library Type", "Type of library", "Library type", "Lib. type", "Kind of library"],
    "supervisor_name": ["Supervisor Name/Position", "Supervisor", "Supervisor name", "Supervisor's name and title",
                        "Direct supervisor", "Supervisor name & title", "Sup. name"],
    "supervisor_email": ["Supervisor email", "Supervisor e-mail", "Supervisor's email", "Supervisor email address",
                         "Supv. email"],
    "role": ["Position you are applying for", "Applying as", "Applying for", "Role", "I am applying as",
             "Applying to be a", "Program role"],
    "support": ["Supervisor support", "Supervisor approval", "Supervisor permission", "Has supervisor support",
                "Supervisor's support secured", "Supervisor approved"],
    "categories": ["Categories", "Check all that apply", "Which apply", "Category"],
    "goals": ["Goals", "My goals", "Goals, problems, or topics", "What I hope to gain", "Goals/topics",
              "Protégé goals"],
    "strengths": ["Strengths", "Strengths and experience", "Experience", "Why I would be a good mentor",
                  "Strengths/expertise", "Mentor strengths"],
}
ROLE_WORDS = {"protege": ["Protégé", "Protege", "protégé", "Mentee", "PROTÉGÉ"],
              "mentor": ["Mentor", "mentor", "MENTOR"]}
# Short forms of the options people type in a list of their own.
OPTION_WORDS = {
    "new_to_wyoming": ["New to Wyoming"], "new_to_library": ["New to working at a library", "New to library work"],
    "new_supervisor": ["New library supervisor", "New library supervisor (branch manager, department head, etc.)"],
    "new_mls": ["New MLS degreed individual", "New MLS"], "newly_promoted": ["Newly promoted library staff"],
    "emerging_leader": ["Emerging library leader", "Emerging leader"], "new_director": ["New Library Director"],
    "experienced_staff": ["Experienced library staff", "Experienced library staff, regardless of position"],
    "mls_librarian": ["MLS librarian"], "library_director": ["Library Director"],
    "library_supervisor": ["Library supervisor"],
}
