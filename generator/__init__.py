"""examgen: parameterised deep-learning problems turned into exams and verified answer keys."""

__version__ = "0.1.0"
