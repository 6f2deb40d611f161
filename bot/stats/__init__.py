"""The statistics table (attachment 2): chat form, workbook flow, form definitions, totals."""
