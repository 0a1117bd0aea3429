"""Reading numbers people and programs type. str.isdigit() accepts "²" and "٣", which int()
then refuses or reads differently; only ASCII digits count here."""


def is_digits(text) -> bool:
    return isinstance(text, str) and text.isascii() and text.isdigit()
