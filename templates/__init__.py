"""The sheets' templates, installed as the package `generator.templates` (see generator/resources.py)."""
