"""One table of typed numbers for the grader and the page (generator.answers.reading):
(text, whole-number field?, value, or None when the text is refused)."""

NUMBER_CASES = [
    ("0.75", False, 0.75), ("3/4", False, 0.75), ("sqrt(2)/2", False, 2 ** 0.5 / 2), ("1e-3", False, 1e-3),
    ("2^10", False, 1024), ("-1/3", False, -1 / 3), ("e", False, 2.718281828459045), (".5", False, 0.5),
    ("\u22120.25", False, -0.25), ("3*pi/4", False, 3 * 3.141592653589793 / 4), ("1 - 2", False, -1),
    ("5,133,600", False, 5133600), ("5,133,600", True, 5133600), ("1,500", True, 1500),
    ("1,500.25", False, 1500.25), ("1 234", False, 1234), ("1\u2009234\u2009567", True, 1234567),
    # refused: a decimal comma, an ambiguous comma, several numbers, two points, letters
    ("1,5", False, None), ("0,5", False, None), ("1,500", False, None), ("2 3", False, None),
    ("-1 -2", False, None), ("1 -2", False, None), ("1.2.3", False, None), ("abc", False, None),
    ("1,2,3", False, None), ("", False, None), ("1/0", False, None), ("2 x", False, None),
]
