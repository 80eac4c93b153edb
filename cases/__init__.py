"""The editors' workspace for the monthly 《新风》 special issue (a stage: imports only core).

- `records`: Case, Quote, Usage, Issue, IssueEntry (small frozen dataclasses);
- `extract`: a handbook issue into its cases, a standalone case study into one;
- `tags`: theme tags and the organ a unit belongs to;
- `dups`: near-duplicate stories (datasketch MinHash LSH over character n-grams);
- `finder`: candidate cases for a theme, unfeatured, one per duplicate group, diverse units;
- `planner`: issue numbering and featured/unfeatured rules;
- `store`: the editorial SQLite (usage history, draft issues, the catalog cache);
- `export`: a draft issue as a .docx outline in 公文 layout.
"""
