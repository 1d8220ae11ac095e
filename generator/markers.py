"""Names the LaTeX build reads back from what the sheet templates write, defined once.

The templates get them through `context()` (as `names`), and `build.py` parses them, so a
renamed marker cannot leave the two disagreeing:

- `MARKER` starts a comment line such as `% examgen: variant=001 slot=2 problem=cnn/x`, from
  which a LaTeX error's line is traced back to its variant, problem and template;
- `END_LABEL` names the label `examgen-end-N` written after variant N: its page number is the
  variant's last page ("Page x of y", and where the combined PDF is split).
"""

from __future__ import annotations

MARKER = "% examgen:"
END_LABEL = "examgen-end"
QUESTION_TEMPLATE = "question.tex.j2"
SOLUTION_TEMPLATE = "solution.tex.j2"


def context() -> dict[str, str]:
    """The names as the templates see them: `\\VAR{names.marker}` and so on."""
    return {"marker": MARKER, "end_label": END_LABEL, "question": QUESTION_TEMPLATE,
            "solution": SOLUTION_TEMPLATE}
