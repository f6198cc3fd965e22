"""Case-management rules (issue 8 §4): review scheduling, tasks, visit plans, reactive
management, notification due dates and expiring orders.

Rule functions are pure where they can be (dates in, dates out) so the meetings work and the
batch run share one arithmetic; the batch run (`hub casework run`) applies them set-based.
"""
