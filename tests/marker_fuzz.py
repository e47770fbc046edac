"""Candidate kombu type markers for the differential test (tests/test_marker_differential.py):
thousands per marker type, biased towards the edges of Python's parsers (uuid.UUID, int(x, 16),
Decimal, base64.b64decode, datetime/date/time.fromisoformat) and kombu's object_hook.

Every candidate is plain JSON data PHP can hold: valid UTF-8 text, no lone surrogates, no map
key starting with NUL, integers within 64 bits.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

# Whitespace Python strips or turns into a space, and characters that only look like it.
SPACES = [
    " ",
    "\t",
    "\n",
    "\x0b",
    "\x0c",
    "\r",
    "\x1c",
    "\x1f",
    "\x85",
    "\xa0",
    "\u1680",
    "\u2000",
    "\u200a",
    "\u2028",
    "\u202f",
    "\u205f",
    "\u3000",
]
NOT_SPACES = ["\u200b", "\ufeff", "\x00", "\x7f", "\u180e", "\x01"]
# Unicode decimal digits (one of each: Arabic-Indic, Devanagari, full-width, math bold, Adlam,
# Tangsa from Unicode 14), digits from Unicode 15 that Python 3.11 does not know (Kawi, Nag
# Mundari), and digit-like characters that are not decimal digits.
DIGITS = ["\u0661", "\u0967", "\uff11", "\U0001d7cf", "\U0001e951", "\U00016ac1"]
NOT_DIGITS = ["\U00011f51", "\U0001e4f1", "\u00b2", "\u2460", "\u0f2a", "\u19da", "\uff21", "\u216b"]
JUNK = ["{", "}", "-", "_", "+", ".", ",", ":", "=", "/", "e", "E", "x", "X", "g", "z", "é", "ß", "\\", '"']


def pick(rng: random.Random, *choices: Any) -> Any:
    return rng.choice(choices)


def mutate(rng: random.Random, text: str, alphabet: list[str], rounds: int = 3) -> str:
    """Insert, delete, replace or swap the case of a few characters at random places."""
    chars = list(text)
    for _ in range(rng.randint(0, rounds)):
        at = rng.randint(0, len(chars))
        action = rng.random()
        if action < 0.4:
            chars.insert(at, rng.choice(alphabet))
        elif action < 0.6 and chars:
            del chars[min(at, len(chars) - 1)]
        elif action < 0.85 and chars:
            chars[min(at, len(chars) - 1)] = rng.choice(alphabet)
        elif chars:
            i = min(at, len(chars) - 1)
            chars[i] = chars[i].swapcase()
    return "".join(chars)


def unicode_digits(rng: random.Random, text: str, rate: float = 0.2) -> str:
    """Some ASCII digits replaced by the same digit of another script (or a non-digit)."""
    out = []
    for char in text:
        if char.isdigit() and char.isascii() and rng.random() < rate:
            zero = ord(rng.choice(DIGITS)) - 1
            out.append(chr(zero + int(char)) if rng.random() < 0.85 else rng.choice(NOT_DIGITS))
        else:
            out.append(char)
    return "".join(out)


def padded(rng: random.Random, text: str) -> str:
    """Whitespace (or near-whitespace) around, sometimes inside."""
    pool = SPACES + NOT_SPACES[:2]
    left = "".join(rng.choice(pool) for _ in range(rng.choice([0, 0, 1, 2])))
    right = "".join(rng.choice(pool) for _ in range(rng.choice([0, 0, 1, 2])))
    return left + text + right


# uuid -------------------------------------------------------------------------------------------


def uuid_hex(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    if rng.random() < 0.3:
        digits = (
            digits.upper()
            if rng.random() < 0.5
            else "".join(c.upper() if rng.random() < 0.5 else c for c in digits)
        )
    text = digits
    if rng.random() < 0.6:
        text = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    decorations = [
        lambda t: "{" + t + "}",
        lambda t: "{{" + t + "}}",
        lambda t: "{" + t,
        lambda t: t + "}",
        lambda t: "urn:uuid:" + t,
        lambda t: "URN:UUID:" + t,
        lambda t: "Urn:uuid:" + t,
        lambda t: "uuid:" + t,
        lambda t: t[:10] + "urn:" + t[10:],
        lambda t: t[:5] + "{" + t[5:],
        lambda t: t[:7] + "}" + t[7:],
        lambda t: t[:3] + "uuid:" + t[3:],
        lambda t: "uuurn:id:" + t,
        lambda t: "urn:" + t + "uuid:",
        lambda t: "+" + t[1:],
        lambda t: "0x" + t[2:],
        lambda t: "0X_" + t[3:],
        lambda t: " 0x" + t[3:],
        lambda t: t[:9] + "_" + t[9:],
        lambda t: "_" + t[1:],
        lambda t: t[:-1] + "_",
        lambda t: t[:4] + "__" + t[4:],
        lambda t: rng.choice(SPACES) + t[1:],
        lambda t: t[:-1] + rng.choice(SPACES),
        lambda t: rng.choice(SPACES + NOT_SPACES) + t,
        lambda t: t[:-1],
        lambda t: t + "0",
        lambda t: unicode_digits(rng, t),
        lambda t: "-" * rng.randint(1, 5) + t,
        lambda t: t.replace("-", "--"),
        lambda t: "0x" + t,
        lambda t: "+0x" + t[3:],
        lambda t: "+-" + t[1:],
    ]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        text = rng.choice(decorations)(text)
    if rng.random() < 0.25:
        text = mutate(rng, text, list("0123456789abcdefABCDEF") + JUNK + SPACES[:4], 2)
    return text


def uuid_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.55:
        value: Any = {"hex": uuid_hex(rng)}
    elif roll < 0.65:
        value = {
            "int": pick(
                rng,
                0,
                1,
                -1,
                2**63 - 1,
                -(2**63),
                rng.randint(0, 2**63 - 1),
                True,
                False,
                1.5,
                1e30,
                "5",
                None,
                [1],
            )
        }
    elif roll < 0.75:
        limits = [2**32, 2**16, 2**16, 2**8, 2**8, 2**48]
        fields: list[Any] = [rng.randint(0, limit - 1) for limit in limits]
        for _ in range(rng.choice([0, 0, 1, 2])):
            i = rng.randrange(6)
            fields[i] = pick(rng, limits[i], limits[i] - 1, -1, True, 1.0, "1", None, 0)
        if rng.random() < 0.1:
            fields = fields[: rng.randint(0, 7)] if rng.random() < 0.5 else [*fields, 0]
        value = {"fields": fields}
    elif roll < 0.85:
        value = pick(
            rng,
            {},
            {"hex": None},
            {"hex": None, "int": 5},
            {"hex": uuid_hex(rng), "int": 1},
            {"bytes": "a" * 16},
            {"bytes_le": "b" * 16},
            {"bytes": [1] * 16},
            [uuid_hex(rng)],
            uuid_hex(rng),
            None,
            12,
            {"Hex": uuid_hex(rng)},
            {"hex": [1, 2]},
            {"hex": 12},
            {"hex": uuid_hex(rng), "is_safe": pick(rng, None, 0, "x", {"a": 1})},
            {"hex": {"__type__": "bytes", "__value__": "a" * 32}},
            {"int": {"__type__": "decimal", "__value__": "5"}},
            {"fields": "abcdef"},
            {"fields": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}},
        )
    else:
        value = {"hex": uuid_hex(rng)} if rng.random() < 0.7 else {"int": rng.randint(0, 2**63 - 1)}
        value["version"] = pick(rng, 0, 1, 4, 5, 6, -1, True, False, 2.0, "4", None, [4])
    return value


# decimal ----------------------------------------------------------------------------------------

BIG_EXPONENTS = [
    "999999999999999999",
    "1000000000000000000",
    "999999999999999998",
    "1999999999999999997",
    "1999999999999999998",
    "1999999999999999996",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999",
    "0000000000000000000000005",
    "18446744073709551616",
    "0",
]


def decimal_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        special = pick(
            rng,
            "inf",
            "Inf",
            "INFINITY",
            "infinity",
            "Infinit",
            "infinityy",
            "nan",
            "NaN",
            "sNaN",
            "snan",
            "SNAN",
            "qnan",
            "nan12",
            "NaN0012",
            "snan7",
            "nan-1",
            "nan1.5",
            "nan1e5",
            "inf5",
        )
        text = pick(rng, "", "+", "-", "--", "+-") + special
    else:
        integer = "".join(rng.choice(string.digits) for _ in range(rng.choice([0, 1, 1, 2, 3, 5, 20, 31])))
        fraction = "".join(rng.choice(string.digits) for _ in range(rng.choice([0, 0, 1, 2, 6, 30])))
        if rng.random() < 0.3:
            integer = "0" * rng.randint(1, 4) + integer
        text = pick(rng, "", "", "+", "-") + integer
        if fraction or rng.random() < 0.2:
            text += "." + fraction
        if rng.random() < 0.55:
            exponent = rng.choice(BIG_EXPONENTS) if rng.random() < 0.6 else str(rng.randint(0, 400))
            text += pick(rng, "e", "E") + pick(rng, "", "+", "-", "-", "--") + exponent
    if rng.random() < 0.25:
        text = (
            "_".join(text[i : i + rng.randint(1, 4)] for i in range(0, len(text), 4))
            if rng.random() < 0.5
            else (mutate(rng, text, ["_", "__"], 2))
        )
    if rng.random() < 0.2:
        text = unicode_digits(rng, text, 0.4)
    if rng.random() < 0.3:
        text = padded(rng, text)
    if rng.random() < 0.15:
        text = mutate(rng, text, list(string.digits) + JUNK + SPACES[:3] + ["e", "E", "n", "i"], 2)
    return text


def decimal_value(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.7:
        return decimal_text(rng)
    if roll < 0.85:
        sign = pick(rng, 0, 1, 1, 0, True, False, 2, -1, 1.0, "0", None)
        digits: Any = [
            pick(rng, *range(10), True, False, 10, -1, 1.5, "1") if rng.random() < 0.1 else rng.randint(0, 9)
            for _ in range(rng.choice([0, 1, 2, 5, 20]))
        ]
        if rng.random() < 0.05:
            digits = pick(rng, "123", {"a": 1}, None, 5)
        exponent = pick(
            rng,
            0,
            5,
            -5,
            rng.randint(-(2**63), 2**63 - 1),
            999999999999999999,
            10**18,
            -1999999999999999997,
            -1999999999999999998,
            999999999999999999 - len(str(digits)) + 1,
            "F",
            "n",
            "N",
            "f",
            "x",
            "",
            1.0,
            True,
            None,
        )
        value: list[Any] = [sign, digits, exponent]
        if rng.random() < 0.05:
            value = value[: rng.randint(0, 2)] if rng.random() < 0.5 else [*value, 0]
        return value
    return pick(
        rng,
        0,
        1,
        -1,
        2**63 - 1,
        -(2**63),
        True,
        False,
        1.5,
        -0.0,
        1e300,
        5e-324,
        None,
        {},
        {"a": 1},
        {"0": 0, "1": [1], "2": 0},
        {"__type__": "decimal", "__value__": "1.5"},
        {"__type__": "uuid", "__value__": {"hex": "0" * 32}},
    )


# base64 -----------------------------------------------------------------------------------------


def base64_value(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return pick(rng, None, 5, [1], {"a": "QUJD"}, True, {"__type__": "bytes", "__value__": "QUJD"})
    data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 3, 4, 5, 16, 31])))
    text = base64.b64encode(data).decode() if rng.random() < 0.85 else base64.urlsafe_b64encode(data).decode()
    edits = [
        lambda t: t.rstrip("="),
        lambda t: t + "=",
        lambda t: t + "==",
        lambda t: t + "===",
        lambda t: "=" + t,
        lambda t: t[:1] + "=" + t[1:],
        lambda t: t[:2] + "=" + t[2:],
        lambda t: t[:3] + "==" + t[3:],
        lambda t: t[:-1],
        lambda t: t + rng.choice("AQgw+/"),
        lambda t: t.replace("=", " ="),
        lambda t: t + "\n",
        lambda t: " " + t,
        lambda t: t + "=A",
        lambda t: t + "==AAAA",
        lambda t: t[:2] + rng.choice(JUNK + SPACES + ["é", "\u3000"]) + t[2:],
        lambda t: t.replace("+", "-").replace("/", "_"),
        lambda t: t + "=" + rng.choice(JUNK),
        lambda t: t[:5] + "=" + rng.choice(" \n*é") + "=" + t[5:],
    ]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        text = rng.choice(edits)(text)
    return text


# datetime, date, time ---------------------------------------------------------------------------


def time_text(rng: random.Random, with_offset: bool = True) -> str:
    hour = pick(rng, "00", "09", "12", "23", "24", "25", "7", "99")
    minute = pick(rng, "00", "30", "59", "60", "5")
    second = pick(rng, "00", "15", "59", "60", "61", "7")
    fraction = "".join(rng.choice(string.digits) for _ in range(pick(rng, 1, 2, 3, 4, 6, 7, 9, 0)))
    parts = rng.choice([[hour], [hour, minute], [hour, minute, second]])
    separator = ":" if rng.random() < 0.85 else ""
    text = separator.join(parts)
    if len(parts) == 3 and rng.random() < 0.5:
        text += pick(rng, ".", ".", ",") + fraction
    if with_offset and rng.random() < 0.6:
        offset_hour = pick(rng, "00", "01", "05", "14", "23", "24", "99")
        offset_minute = pick(rng, "00", "30", "59", "60")
        text += pick(
            rng,
            "Z",
            "z",
            "+" + offset_hour,
            "-" + offset_hour + ":" + offset_minute,
            "+" + offset_hour + offset_minute,
            "+" + offset_hour + ":" + offset_minute,
            "+" + offset_hour + ":" + offset_minute + ":" + pick(rng, "00", "30", "59", "60"),
            "+" + offset_hour + ":" + offset_minute + ":30." + fraction,
            " +00:00",
            "+00:00Z",
            "UTC",
        )
    return text


def date_text(rng: random.Random) -> str:
    year = pick(rng, "2024", "2023", "0001", "0000", "9999", "1900", "2000", "024", "20240", "1970")
    month = pick(rng, "01", "02", "12", "13", "00", "1")
    day = pick(rng, "01", "28", "29", "30", "31", "32", "00")
    form = rng.random()
    if form < 0.8:
        return f"{year}-{month}-{day}"
    if form < 0.9:
        return f"{year}{month}{day}"
    return pick(
        rng, f"{year}-W01-1", f"{year}W011", f"{year}-W53-7", f"{year}-W01", f"{year}-123", f"{year}-{month}"
    )


def real_isoformat(rng: random.Random, kind: str) -> str:
    """What Python's isoformat() writes for a random moment (leap days, year 1 and 9999 included)."""
    moment = datetime(1, 1, 1) + timedelta(
        seconds=rng.randrange(0, 315537897600), microseconds=rng.randrange(10**6)
    )
    if rng.random() < 0.1:
        year = pick(rng, 1, 2000, 2024, 9999)
        moment = moment.replace(
            year=year, month=2, day=29 if year in (2000, 2024) and rng.random() < 0.7 else 28
        )
    if rng.random() < 0.3:
        moment = moment.replace(microsecond=pick(rng, 0, 0, 123000))
    if rng.random() < 0.6:
        minutes = rng.randrange(-1439, 1440)
        moment = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    timespec = pick(rng, "auto", "hours", "minutes", "seconds", "milliseconds", "microseconds")
    if kind == "date":
        return moment.date().isoformat()
    if kind == "time":
        return moment.timetz().isoformat(timespec=timespec)
    return moment.isoformat(sep=pick(rng, "T", " "), timespec=timespec)


def datetime_value(rng: random.Random, kind: str) -> Any:
    if rng.random() < 0.04:
        return pick(rng, None, 5, 1.5, [2024, 1, 1], {"a": 1}, "", "now", "2024-01-01T00:00:00.000000+00:00 ")
    if rng.random() < 0.45:
        text = real_isoformat(rng, kind)
        if rng.random() < 0.3:
            text = mutate(rng, text, list(string.digits) + [":", "-", "T", ".", "+", "Z", " ", "6"], 1)
        return text
    if kind == "time":
        text = pick(rng, "", "", "T") + time_text(rng)
    else:
        text = date_text(rng)
        if kind == "datetime" and rng.random() < 0.85:
            text += pick(rng, "T", "T", " ", "t", "_", "x", "é", "\u3000", "TT") + time_text(rng)
        elif kind == "date" and rng.random() < 0.2:
            text += pick(rng, "T", " ") + time_text(rng)
    if rng.random() < 0.1:
        text = unicode_digits(rng, text, 0.3)
    if rng.random() < 0.1:
        text = padded(rng, text)
    if rng.random() < 0.1:
        text = mutate(rng, text, list(string.digits) + [":", "-", "T", ".", "+", "Z", " "], 2)
    return text


# bytes and the marker itself --------------------------------------------------------------------


def bytes_value(rng: random.Random) -> Any:
    return pick(
        rng,
        "",
        "abc",
        "é\u3000\U0001f600",
        "\x00\x01",
        "a" * rng.randint(0, 50),
        None,
        5,
        1.5,
        True,
        [1, 2],
        {"a": "b"},
        {"__type__": "bytes", "__value__": "x"},
    )


GENERATORS: dict[str, Callable[[random.Random], Any]] = {
    "uuid": uuid_value,
    "decimal": decimal_value,
    "base64": base64_value,
    "datetime": lambda rng: datetime_value(rng, "datetime"),
    "date": lambda rng: datetime_value(rng, "date"),
    "time": lambda rng: datetime_value(rng, "time"),
    "bytes": bytes_value,
}


def candidates(per_type: int, seed: int) -> Iterator[tuple[str, Any]]:
    """(marker type, marker) pairs: per_type of each type, then markers with odd types."""
    rng = random.Random(seed)
    for kind, generate in GENERATORS.items():
        seen: set[str] = set()
        made = 0
        while made < per_type:
            value = generate(rng)
            key = repr(value)
            if key in seen and rng.random() < 0.9:
                continue
            seen.add(key)
            made += 1
            yield kind, {"__type__": kind, "__value__": value}
    for odd in ["set", "Decimal", "UUID", "", "datetime ", None, 5, ["uuid"], {"a": 1}, True]:
        yield "odd", {"__type__": odd, "__value__": "1"}
