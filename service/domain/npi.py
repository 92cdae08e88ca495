"""NPI check digit: Luhn over the card-issuer prefix 80840 and the first nine digits."""

from functools import lru_cache


@lru_cache(maxsize=4096)
def npi_check_digit_ok(npi: str) -> bool:
    """45 CFR 162.406; CMS "NPI check digit" (ISO/IEC 7812 Luhn with prefix 80840)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 24  # the Luhn contribution of the constant prefix 80840
    for position, char in enumerate(reversed(npi[:9])):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])
