"""Text normalisation shared by the NLU components, the language detector and the content checks.

`fold()` maps the spellings our users produce onto one form: case, diacritics (ş→s, ă→a, ü→u and
German ue→u), Cyrillic Bulgarian onto the Latin letters people type when they write Bulgarian in Latin
script ("кой" and "koi" both become "koi"). Features built on the folded form let "Jobcenter'dan para
aliyorum" and "Jobcenter'dan para alıyorum" look alike to the classifier.
"""
from __future__ import annotations

import re
import unicodedata

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "i",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a", "ь": "i", "ю": "iu", "я": "ia",
    "ё": "io", "ы": "i", "э": "e", "є": "ie", "і": "i", "ї": "i", "ґ": "g",
}
_SPECIAL = {"ı": "i", "ł": "l", "ø": "o", "æ": "ae", "đ": "d", "ß": "ss", "œ": "oe"}
_GERMAN_DIGRAPHS = re.compile(r"(?<=[a-z])(ae|oe|ue)|^(ae|oe|ue)")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, strip diacritics, transliterate Cyrillic and fold German ae/oe/ue and y→i."""
    lowered = text.casefold()
    decomposed = unicodedata.normalize("NFKD", lowered)
    out = []
    for char in decomposed:
        if unicodedata.category(char) == "Mn":
            continue
        out.append(_CYRILLIC.get(char) or _SPECIAL.get(char) or char)
    folded = "".join(out)
    folded = _GERMAN_DIGRAPHS.sub(lambda m: (m.group(1) or m.group(2))[0], folded)
    return folded.replace("y", "i")


def letters(text: str) -> str:
    """Only the letters of `text` (no digits, punctuation, emoji)."""
    return "".join(_LETTER.findall(text))


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_emoji_only(text: str) -> bool:
    """Emoji (or other pictographs), maybe with punctuation, but no letter and no digit: "😊", "🙏🏽!", "👍 👍"."""
    stripped = (text or "").strip()
    if not stripped or any(char.isalnum() for char in stripped):
        return False
    return any(unicodedata.category(char) == "So" for char in stripped)


def script_of(char: str) -> str:
    """Coarse Unicode script of a letter: latin, cyrillic or other."""
    name = unicodedata.name(char, "")
    if name.startswith("LATIN"):
        return "latin"
    if name.startswith("CYRILLIC"):
        return "cyrillic"
    return "other"


def dominant_script(text: str) -> str | None:
    """The script most letters of `text` are written in, or None when it has no letters."""
    counts: dict[str, int] = {}
    for char in letters(text):
        script = script_of(char)
        counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    return max(counts, key=counts.get)
