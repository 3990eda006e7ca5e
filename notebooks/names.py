"""Made-up, pronounceable names built from syllables: the data set of notebook 10's GPT.

    from names import make_names, follows_the_pattern

    names = make_names(1000, seed=0)   # the same 1000 names on every machine, no download
    follows_the_pattern("kalo")        # True: consonant, vowel, consonant, vowel

A name is two or three syllables, each a consonant followed by a vowel ("ka", "ri"), and
its last syllable may close on one of the consonants "lnrs" ("kalon"). Some letters are
drawn more often than others (see :data:`ONSETS` and :data:`VOWELS`), so the names have
what a character-level model can learn: which letters are common, that consonants and
vowels alternate, and how long a name is. Nothing here is random across runs: the names
depend only on ``n`` and ``seed`` (Python's ``random.Random`` is the same on every platform).
"""

from __future__ import annotations

import math
import random
import re

#: The consonants that start a syllable, each with its weight (how often it is drawn).
ONSETS: dict[str, int] = {
    "b": 1,
    "d": 2,
    "f": 1,
    "g": 1,
    "h": 1,
    "k": 3,
    "l": 3,
    "m": 3,
    "n": 3,
    "p": 1,
    "r": 3,
    "s": 3,
    "t": 3,
    "v": 1,
    "z": 1,
}

#: The vowels, each with its weight.
VOWELS: dict[str, int] = {"a": 5, "e": 3, "i": 3, "o": 2, "u": 1}

#: The consonants a name may end on, each with its weight.
CODAS: dict[str, int] = {"l": 1, "n": 2, "r": 1, "s": 1}

#: How often the last syllable closes on a consonant of :data:`CODAS`.
CODA_PROBABILITY = 0.4

_PATTERN = re.compile(
    f"([{''.join(ONSETS)}][{''.join(VOWELS)}]){{2,3}}[{''.join(CODAS)}]?",
)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    """One letter of ``weights``, drawn with probability proportional to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_name(rng: random.Random) -> str:
    """One name: two or three consonant-vowel syllables, maybe closed by a consonant."""
    syllables = rng.choice((2, 3))
    name = "".join(_pick(rng, ONSETS) + _pick(rng, VOWELS) for _ in range(syllables))
    if rng.random() < CODA_PROBABILITY:
        name += _pick(rng, CODAS)
    return name


def make_names(n: int, seed: int = 0) -> list[str]:
    """``n`` different names, in the order they were first drawn from ``random.Random(seed)``.

    Raises ``ValueError`` for a negative ``n``. There are far more possible names (over a
    million) than any notebook asks for, so the loop that skips repeats ends quickly.
    """
    if n < 0:
        raise ValueError(f"make_names: n must be >= 0, got {n}")
    rng = random.Random(seed)
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < n:
        name = make_name(rng)
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def log_probability(name: str) -> float:
    """The natural log of the probability that :func:`make_name` draws ``name`` (``-inf`` if it
    cannot): the best any model of these names can do is a loss of ``-log_probability``.

    A name that follows the pattern has one way to be made (its length says how many
    syllables and whether it has a coda), so its probability is a product: 1/2 for the number
    of syllables, each letter's weight over its table's total, and the coda's chance. It
    ignores that :func:`make_names` skips repeats, which changes little while the list is
    small next to the number of possible names.
    """
    if not follows_the_pattern(name):
        return -math.inf
    syllables, coda = divmod(len(name), 2)
    logp = math.log(0.5)
    for i in range(syllables):
        logp += math.log(ONSETS[name[2 * i]] / sum(ONSETS.values()))
        logp += math.log(VOWELS[name[2 * i + 1]] / sum(VOWELS.values()))
    if coda:
        logp += math.log(CODA_PROBABILITY * CODAS[name[-1]] / sum(CODAS.values()))
    else:
        logp += math.log(1.0 - CODA_PROBABILITY)
    return logp


def follows_the_pattern(name: str) -> bool:
    """Whether ``name`` could have been made here: 2-3 consonant-vowel syllables, the last
    maybe closed by one of "lnrs" (letters from :data:`ONSETS`, :data:`VOWELS`, :data:`CODAS`)."""
    return _PATTERN.fullmatch(name) is not None
