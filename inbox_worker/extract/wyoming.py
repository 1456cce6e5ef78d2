"""Wyoming's towns and counties, so a place written without a comma can still be told from its street.

The incorporated towns and cities of Wyoming and its census-designated
places where libraries and their staff are, and the 23 counties. Used to
split "2084 Capitol Ave Thermopolis" into its street and its town, and to
judge whether a word in the City blank is a town.
"""

from __future__ import annotations

from functools import lru_cache

from inbox_worker.extract.normalize import fold_key

TOWNS = (
    "Afton", "Albin", "Alpine", "Alta", "Arapahoe", "Atlantic City", "Baggs", "Bairoil", "Bar Nunn", "Basin",
    "Bear River", "Big Horn", "Big Piney", "Bondurant", "Boulder", "Buffalo", "Burlington", "Burns", "Byron",
    "Casper", "Centennial", "Cheyenne", "Chugwater", "Clearmont", "Cody", "Cokeville", "Cowley", "Crowheart",
    "Daniel", "Dayton", "Deaver", "Diamondville", "Dixon", "Douglas", "Dubois", "East Thermopolis", "Edgerton",
    "Elk Mountain", "Encampment", "Ethete", "Evanston", "Evansville", "Farson", "Fort Bridger", "Fort Laramie",
    "Fort Washakie", "Frannie", "Gillette", "Glendo", "Glenrock", "Granger", "Green River", "Greybull", "Guernsey",
    "Hanna", "Hartville", "Hoback", "Hudson", "Hulett", "Jackson", "Jeffrey City", "Kaycee", "Kelly", "Kemmerer",
    "Kinnear", "Kirby", "La Barge", "LaBarge", "Lagrange", "Lander", "Laramie", "Lingle", "Lost Springs", "Lovell",
    "Lusk", "Lyman", "Lysite", "Manderson", "Manville", "Marbleton", "Medicine Bow", "Meeteetse", "Midwest",
    "Mills", "Moorcroft", "Moose", "Moran", "Mountain View", "Newcastle", "Opal", "Osage", "Pavillion",
    "Pine Bluffs", "Pine Haven", "Pinedale", "Point of Rocks", "Powell", "Ralston", "Ranchester", "Rawlins",
    "Reliance", "Riverside", "Riverton", "Rock River", "Rock Springs", "Rolling Hills", "Rozet", "Saratoga",
    "Sheridan", "Shoshoni", "Sinclair", "Smoot", "Star Valley Ranch", "Story", "Sundance", "Superior",
    "Ten Sleep", "Teton Village", "Thayne", "Thermopolis", "Torrington", "Upton", "Van Tassell", "Wamsutter",
    "Wapiti", "Wheatland", "Wilson", "Worland", "Wright", "Yoder",
)
COUNTIES = (
    "Albany", "Big Horn", "Campbell", "Carbon", "Converse", "Crook", "Fremont", "Goshen", "Hot Springs", "Johnson",
    "Laramie", "Lincoln", "Natrona", "Niobrara", "Park", "Platte", "Sheridan", "Sublette", "Sweetwater", "Teton",
    "Uinta", "Washakie", "Weston",
)


@lru_cache(maxsize=1)
def _towns() -> dict[str, str]:
    return {fold_key(t): t for t in TOWNS}


def is_town(text: str) -> bool:
    """True when the text is the name of a Wyoming town (any case, accents ignored)."""
    return fold_key(text) in _towns()


def town_at_end(text: str) -> tuple[str, str] | None:
    """(what comes before, the town) when the text ends with a Wyoming town's name, the longest that fits."""
    words = text.split()
    for take in (3, 2, 1):
        if len(words) <= take:
            continue
        tail = " ".join(words[-take:])
        if is_town(tail.strip(" ,.")):
            return " ".join(words[:-take]).rstrip(" ,"), tail.strip(" ,.")
    return None
