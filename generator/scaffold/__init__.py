"""Files that `examgen init` and `examgen new` copy: the exemplar problem and a course repository."""
