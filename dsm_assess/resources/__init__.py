"""Files the kit ships: the questionnaires, the default report template and notebook 03.

In a checkout these are links to the project's own folders; a wheel carries copies.
"""
