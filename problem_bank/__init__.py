"""The built-in problem bank, installed as the package `generator.problem_bank` (see generator/resources.py)."""
