"""Scoring (issue 17): 采用 and its levels, the rules file, the points ledger, /ranking,
/bulletin and the 通报 draft."""
