"""The coordinator's desk: who delivered what, for the units in the caller's scope.

standings (the data: which deadline, who is on time / late / missing), views (/status,
/missing), remind ("remind them now"), file_commands (/roster, /late, /export, /photos) and
the files they build in a worker thread: workbooks, late_list, export, contact_sheets.
"""
