"""The workshop form: a web form served to respondents and the consultant (`web`, `form serve`),
and the ipywidgets form for the consultant's workshop in JupyterLab (`widgets`); both write
answers through the same capture path as workbooks and CSV files."""

from dsm_assess.form.tokens import REFUSAL, issue_form_token
from dsm_assess.form.widgets import CONSENSUS, WorkshopForm

__all__ = ["CONSENSUS", "REFUSAL", "WorkshopForm", "issue_form_token"]
