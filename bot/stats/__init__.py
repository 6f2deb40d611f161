"""The statistics table (attachment 2), one module per feature:

- ``chat_form``: ``/stats``, the table filled in chat (a persistent conversation);
- ``workbook_flow``: ``/stats_xlsx``, a filled workbook read back and confirmed;
- ``definitions``: ``/stats_form`` and a form definition (.json) loaded;
- ``totals``: ``/stats_total`` and ``/stats_unit`` for coordinators;
- ``entries`` (recording an entry) and ``rendering`` (how values, summaries and problem
  lists read), which they share;
- ``forms`` (the definition format and values, pure) and ``workbook`` (the .xlsx layout,
  openpyxl: loaded on first use).
"""
