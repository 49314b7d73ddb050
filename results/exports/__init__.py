"""Exports of a poll's data (docs/exports.md): anonymous microdata with weights (CSV, XLSX,
SPSS .sav), aggregated tables (CSV and XLSX for a Swedish Excel) and the codebook.

- `microdata`: the columns, codes and rows; `disclosure`: the small-cell coarsening;
- `aggregates`: the tables as the dashboard shows them; `codebook`: questions, codes, bases;
- `writers`: the files, every text cell neutralised against formula injection;
- `jobs`: the background job (`results.tasks.run_export_job`) with progress and the file.
"""
