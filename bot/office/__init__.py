"""The layouts of the office files every area writes, so each file prints as an office
expects and no user text becomes a formula.

sheets  every workbook's cells (a text is always a string cell), print setup (A4, fit to
        the page width, repeated title rows, page-number footer) and row heights that fit
        wrapped text; openpyxl is imported by the caller, in its worker thread
gongwen the 公文 document (GB/T 9704: A4, its margins and fonts, "— 1 —" page numbers,
        tables whose header repeats and whose rows never split, the 落款); python-docx
"""
